import Foundation

/// The process's environment, read once. Foundation builds a new dictionary of every variable
/// each time `ProcessInfo.processInfo.environment` is asked, and one command asks a dozen times.
/// wysc never changes its own environment.
enum ProcessEnvironment {
    static let values = ProcessInfo.processInfo.environment
}
