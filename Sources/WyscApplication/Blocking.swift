import NIOPosix

/// Runs blocking work (starting PostgreSQL, a libpq call outside a pool) on NIO's shared thread
/// pool, so that it never holds one of Swift's few cooperative threads.
public func runBlocking<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
    try await NIOThreadPool.singleton.runIfActive(body)
}
