import FuzzDriver
import WyscApplication

/// The strict JSON parser of request bodies and stored scores: any bytes give a value or a syntax
/// error; a value it reads, written out and read again, is the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    let again = try? JSONValue.parse(value.encoded)
    precondition(again == value, "a parsed value did not survive encoding: \(value.encoded.prefix(200))")
    return 0
}

/// The executable's entry point under SwiftPM (see FuzzDriver.h).
@_cdecl("FuzzJSON_main")
public func fuzzJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    wysc_fuzz_run(argc, argv, fuzzJSON)
}
