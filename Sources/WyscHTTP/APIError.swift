import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals
import WyscApplication
import WyscJudging
import WyscPostgres

/// An error answer: HTTP status, a stable code and a message.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The status of each kind of application error: the one table the server keeps.
    static let statuses: [WyscError.Kind: HTTPResponse.Status] = [
        .badInput: .badRequest, .refused: .conflict, .conflict: .conflict, .stale: .preconditionFailed, .permissionDenied: .forbidden,
        .notFound: .notFound, .unavailable: .serviceUnavailable, .failure: .internalServerError,
    ]

    /// Finer codes whose status differs from their kind's. An organizer who names no judge is not
    /// sending a malformed request, but one their role may not make; a scorecard that does not fit
    /// the competition's rubric is well formed by the API's document (which cannot know the rubric),
    /// but conflicts with the competition as it is set up.
    static let codeStatuses: [String: HTTPResponse.Status] = [
        WyscError.Code.judgeRequired: .forbidden, WyscError.Code.rubricMismatch: .conflict,
    ]

    /// Messages in the API's words where the application's assume a command line.
    static let codeMessages: [String: String] = [
        WyscError.Code.judgeRequired:
            "an organizer acts for a judge: name the judge's email (the judge query parameter, or the judge field of the body)"
    ]

    /// The API's answer to any error thrown below it; details of failures stay in the log.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            let code = error.status == .contentTooLarge ? "payload_too_large" : error.status == .notFound ? "not_found" : "http_error"
            return APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            let classified = WyscError(classifying: error)
            if let detail = classified.detail {
                let level: Logger.Level = classified.kind == .failure ? .error : .warning
                logger.log(level: level, "\(classified.message)", metadata: ["error": "\(detail)"])
            }
            var headers: HTTPFields = [:]
            if let seconds = classified.retryAfter { headers[.retryAfter] = String(seconds) }
            return APIError(
                codeStatuses[classified.code] ?? statuses[classified.kind] ?? .internalServerError, classified.code,
                codeMessages[classified.code] ?? classified.message, headers: headers)
        }
    }

    var response: Response {
        let body = (try? APIJSON.encoder.encode(APIErrorBody(error: .init(code: code, message: message)))) ?? Data()
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// An answer as data, so that idempotent requests can store and replay it.
struct Reply {
    var status: HTTPResponse.Status
    var body: Data
    var headers: HTTPFields = [:]

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Reply {
        Reply(status: status, body: try APIJSON.encoder.encode(value))
    }

    /// A JSON answer written directly (compact, keys sorted, as `APIJSON.encoder` writes them).
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Reply {
        Reply(status: status, body: Data(value.encoded.utf8))
    }

    var response: Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
