import Crypto
import Foundation
import WyscWorkflow

/// Lowercase hexadecimal digits of bytes (two per byte), as digests are shown and stored.
func hexadecimal(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// The SHA-256 digest of a text's UTF-8 bytes, in hexadecimal.
func sha256Hexadecimal(_ text: String) -> String {
    hexadecimal(SHA256.hash(data: Data(text.utf8)))
}

enum Hexadecimal {
    /// The bytes of hexadecimal digits (a digest a reader was given back).
    static func data(_ text: String) throws(WyscError) -> Data {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw WyscError(.badInput, "\(quoted(text)) is not hexadecimal") }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 48...57: digit - 48
            case 97...102: digit - 87
            case 65...70: digit - 55
            default: nil
            }
        }
        var data = Data(capacity: digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else {
                throw WyscError(.badInput, "\(quoted(text)) is not hexadecimal")
            }
            data.append(high << 4 | low)
        }
        return data
    }
}
