import FuzzDriver
import WyscJudging
import WyscWorkflow

/// The scorecard file reader of `wysc score --file`: any text gives criteria and a comment, or a
/// refusal; never more criteria than SafeYAML lets a document expand to.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScorecardFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let card = try? ScorecardFile.parse(text, file: "fuzz.yaml") else { return 0 }
    precondition(card.values.count <= SafeYAML.maxNodes, "\(card.values.count) criteria")
    return 0
}

/// The executable's entry point under SwiftPM (see FuzzDriver.h).
@_cdecl("FuzzScorecardFile_main")
public func fuzzScorecardFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    wysc_fuzz_run(argc, argv, fuzzScorecardFile)
}
