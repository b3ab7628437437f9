import Foundation
import HTTPTypes
import WyscApplication

/// The JSON the API speaks, for the server and its clients alike: snake_case keys, RFC 3339 dates,
/// keys sorted so answers are stable.
public enum APIJSON {
    // Built once: configuring a coder costs more than a small answer takes to encode, and
    // encoding or decoding does not change them.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// The body of every error answer: `{"error": {"code": "…", "message": "…"}}`.
public struct APIErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: String
        public var message: String
    }

    public var error: Detail
}

/// Who a token speaks for, as `GET /api/v1/whoami` says.
public struct WhoAmI: Codable, Sendable {
    public var role: String
    public var label: String
    public var competition: String?
}

/// A request body read strictly: unknown fields and wrong types are refused, naming the field.
struct JSONBody {
    let fields: [String: JSONValue]

    init(_ data: Data, allowed: Set<String>) throws(APIError) {
        if data.isEmpty {
            fields = [:]
            return
        }
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(data)
        } catch {
            throw APIError(.badRequest, "bad_json", "the body is not valid JSON: \(error)")
        }
        guard case .object(let object) = parsed else { throw APIError(.badRequest, "bad_json", "the body must be a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "unknown_field", "unknown field '\(unknown)' (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
        fields = object
    }

    func string(_ name: String) throws(APIError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?:
            // PostgreSQL text cannot hold NUL: refused here, naming the field, rather than failing below.
            if text.unicodeScalars.contains("\u{0}") {
                throw APIError(.badRequest, "bad_input", "field '\(name)' contains a NUL character, which cannot be stored")
            }
            return text
        default: throw APIError(.badRequest, "wrong_type", "field '\(name)' must be a string")
        }
    }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let text = try string(name) else { throw APIError(.badRequest, "missing_field", "field '\(name)' is required") }
        return text
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        switch fields[name] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw APIError(.badRequest, "wrong_type", "field '\(name)' must be true or false")
        }
    }

    func integer(_ name: String) throws(APIError) -> Int? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        case .number(let value)? where value == value.rounded() && abs(value) < 1e15: return Int(value)
        default: throw APIError(.badRequest, "wrong_type", "field '\(name)' must be a whole number")
        }
    }

    /// An object of criterion → number (numbers written as strings are accepted too).
    func scores(_ name: String) throws(APIError) -> [String: String] {
        guard let value = fields[name] else { throw APIError(.badRequest, "missing_field", "field '\(name)' is required") }
        guard case .object(let object) = value else {
            throw APIError(.badRequest, "wrong_type", "field '\(name)' must be an object of criterion: number")
        }
        var scores: [String: String] = [:]
        for (criterion, raw) in object {
            switch raw {
            case .integer(let number): scores[criterion] = String(number)
            case .number(let number): scores[criterion] = number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
            case .string(let text) where !text.unicodeScalars.contains("\u{0}"): scores[criterion] = text
            default: throw APIError(.badRequest, "wrong_type", "field '\(name).\(criterion)' must be a number")
            }
        }
        return scores
    }
}
