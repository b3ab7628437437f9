import FuzzDriver
import WyscApplication

/// The CSV reader of every import: any bytes give a document or a WyscError, never a crash; an
/// error message stays short however large the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let document = try CSVDocument(text, file: "fuzz.csv")
        _ = try? document.columns(required: ["team", "name"], optional: ["email"])
        for record in document.records.prefix(100) { _ = record.value(0) }
    } catch {
        precondition(error.message.utf8.count < 1_000, "an error message of \(error.message.utf8.count) bytes")
    }
    return 0
}

/// The executable's entry point under SwiftPM (see FuzzDriver.h).
@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    wysc_fuzz_run(argc, argv, fuzzCSV)
}
