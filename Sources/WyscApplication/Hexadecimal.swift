import Crypto
import Foundation

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
