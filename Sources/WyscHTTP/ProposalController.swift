import Foundation
import HTTPTypes
import Hummingbird
import WyscApplication
import WyscWorkflow

/// Proposals as their readers may see them, and their files: streamed, with an ETag (the file's
/// SHA-256) for If-None-Match and byte ranges so an interrupted download resumes.
struct ProposalController {
    let application: WyscApplication.Application

    func register(on api: RouterGroup<WyscRequestContext>) {
        api.get(Endpoint.proposal.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let proposal = try RouteSupport.proposal(context)
            let versions = try RouteSupport.choice(request, "versions", of: ["current", "all"], absent: "current")
            return try Reply.json(
                try await application.readProposal(
                    .number(proposal), allVersions: versions == "all", judge: try RouteSupport.query(request, "judge", as: .email), competition: slug,
                    as: try RouteSupport.actor(context))
            ).response
        }
        api.get(Endpoint.proposalFile.routerPath) { request, context in
            let slug = try RouteSupport.slug(context)
            let proposal = try RouteSupport.proposal(context)
            let number = try RouteSupport.pathNumber(context, "file")
            let file = try await application.proposalFile(
                proposal: proposal, file: number, judge: try RouteSupport.query(request, "judge", as: .email), competition: slug,
                as: try RouteSupport.actor(context))
            return try Self.download(file, request: request, application: application)
        }
    }

    static func download(_ file: ProposalFile, request: Request, application: WyscApplication.Application) throws -> Response {
        let etag = "\"\(file.sha256)\""
        var headers: HTTPFields = [
            .eTag: etag, .acceptRanges: "bytes", .cacheControl: "private, no-cache",
            .contentDisposition: ContentDisposition.attachment(file.name),
        ]
        if let match = request.headers[.ifNoneMatch], ETagList.contains(match, etag) {
            return Response(status: .notModified, headers: headers)
        }
        var range = 0..<file.size
        var status = HTTPResponse.Status.ok
        // A Range applies only while the file is the one the client started (If-Range).
        if let header = request.headers[.range], request.headers[.ifRange].map({ $0 == etag }) ?? true {
            switch ByteRange.parse(header, size: file.size) {
            case .whole: break
            case .unsatisfiable:
                throw APIError(
                    .rangeNotSatisfiable, "range_not_satisfiable", "the file has \(file.size) bytes", headers: [.contentRange: "bytes */\(file.size)"]
                )
            case .part(let part):
                range = part
                status = .partialContent
                headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(file.size)"
            }
        }
        headers[.contentType] = file.mediaType
        headers[.contentLength] = String(range.count)
        let sent = range
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: sent.count) { writer in
                try await application.readProposalFile(file, range: sent) { bytes in
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
                try await writer.finish(nil)
            })
    }
}

/// One byte range of a `Range` header (RFC 9110 §14.2). Several ranges are answered with the whole
/// file, which the RFC allows.
enum ByteRange: Equatable {
    case whole
    case part(Range<Int>)
    case unsatisfiable

    static func parse(_ header: String, size: Int) -> ByteRange {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes="), !text.contains(",") else { return .whole }
        let spec = text.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 else { return .whole }
        if bounds[0].isEmpty {
            // The last N bytes.
            guard let suffix = Int(bounds[1]), suffix >= 0, bounds[1].allSatisfy(\.isASCII) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - suffix)..<size)
        }
        guard let first = Int(bounds[0]), first >= 0 else { return .whole }
        let last: Int
        if bounds[1].isEmpty {
            last = size - 1
        } else {
            guard let value = Int(bounds[1]), value >= first else { return .whole }
            last = min(value, size - 1)
        }
        guard first < size else { return .unsatisfiable }
        return .part(first..<last + 1)
    }
}

enum ETagList {
    /// Whether an If-None-Match value names `etag` (or is `*`).
    static func contains(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "") }.contains {
            $0 == "*" || $0 == etag
        }
    }
}

enum ContentDisposition {
    /// `attachment; filename="…"` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187).
    static func attachment(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        let encoded =
            name.addingPercentEncoding(
                withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~"))
            ?? fallback
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}
