import Foundation
import Testing
import WyscApplication

/// Times as every output shows them: `Date.rfc3339` agrees with Foundation's formatter.
@Suite struct TimeFormatTests {
    @Test func rfc3339MatchesFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Leap days, century years, the epoch, before it, and fractions of a second (truncated).
        var samples: [Double] = [0, -1, -86_400, -86_401, 951_782_400, 951_868_799.999, 4_107_542_400, 1_780_000_000.75, -2_208_988_800]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Double(Int64(bitPattern: state >> 1) % 8_000_000_000) - 2_000_000_000)
        }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(date.rfc3339 == formatter.string(from: date), "at \(seconds)")
        }
    }
}
