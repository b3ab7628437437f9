import FuzzDriver
import WyscWorkflow

/// The workflow loader: any text gives a definition or problems with their lines, never a crash,
/// a hang or runaway memory (aliases are bounded by SafeYAML).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkflow(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let definition = try WorkflowLoader.load(text, file: "fuzz.yaml")
        precondition(!definition.phases.isEmpty, "a valid workflow has phases")
    } catch {
        precondition(!error.problems.isEmpty, "a refusal names at least one problem")
    }
    return 0
}

/// The executable's entry point under SwiftPM (see FuzzDriver.h).
@_cdecl("FuzzWorkflow_main")
public func fuzzWorkflowMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    wysc_fuzz_run(argc, argv, fuzzWorkflow)
}
