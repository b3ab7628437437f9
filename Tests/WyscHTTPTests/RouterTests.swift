import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import WyscApplication
import WyscHTTP
import WyscTestSupport

/// The router without a port (Hummingbird's router test client): for what a real socket adds nothing to.
@Suite struct RouterTests {
    @Test func healthTheDocumentAndAMissingTokenNeedNoPort() async throws {
        let test = try await TestApplication()
        let app = WyscServer.buildApplication(application: test.application, settings: ServerSettings(port: 0), logger: TestDatabase.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(String(buffer: response.body).hasPrefix("openapi: 3"))
            }
            try await client.execute(uri: "/" + Endpoint.whoami.path(), method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(response.headers[HTTPField.Name(WyscAPI.versionHeader)!] == String(WyscAPI.version), "on every answer")
            }
        }
    }
}

/// The routes the router serves and the ones the OpenAPI document lists; 405 for a method a
/// known path does not serve.
@Suite struct RouteTableTests {
    /// (method, path) of every operation in OpenAPI/openapi.yaml: a path is a line `  /…:`, its
    /// operations the lines `    get:` and the like beneath it.
    static func documentedOperations() throws -> Set<String> {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../OpenAPI/openapi.yaml")
        var operations: Set<String> = []
        var path: String?
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /") && line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if !line.hasPrefix(" ") && !line.isEmpty {
                path = nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.dropFirst(4).dropLast()
                if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    @Test func everyOperationOfTheAPIIsDocumentedAndEveryDocumentedOneIsRouted() async throws {
        let test = try await TestApplication()
        let routes = RouteTable()
        _ = WyscServer.buildRouter(application: test.application, settings: ServerSettings(port: 0), logger: TestDatabase.logger, routes: routes)
        let routed = Set(routes.all.filter { !$0.isPage }.map { "\($0.method) \($0.path)" })
        let documented = try Self.documentedOperations()
        #expect(documented.count >= 20, "the document was read: \(documented.sorted())")
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routes.all.contains { $0.isPage && $0.path == "/c/{slug}/dashboard" }, "the web pages are recorded too")
    }

    @Test func aMethodAKnownPathDoesNotServeIs405WithAllow() async throws {
        let test = try await TestApplication()
        let app = WyscServer.buildApplication(application: test.application, settings: ServerSettings(port: 0), logger: TestDatabase.logger)
        try await app.test(.router) { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method("TRACE")!, "/readyz", "GET"), (.post, "/metrics", "GET"), (.delete, "/healthz", "GET"),
                (.delete, "/" + Endpoint.scorecard.path(slug: "any", proposal: 7), "GET, PUT"),
                (.get, "/" + Endpoint.phaseAdvance.path(slug: "any"), "POST"), (.put, "/login", "GET, POST"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(String(buffer: response.body).contains(#""code":"method_not_allowed""#))
                }
            }
            // An unknown path is still 404, and a served method is not affected.
            try await client.execute(uri: "/nowhere", method: .delete) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/" + Endpoint.whoami.path(), method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}

/// A client older than its server says so, once per command (the CLI's handler keeps it to once).
@Suite struct APIVersionTests {
    @Test func aNewerServerIsReportedToTheClient() async throws {
        let router = Router()
        router.get("api/v1/whoami") { _, _ in
            Response(
                status: .ok, headers: [HTTPField.Name(WyscAPI.versionHeader)!: String(WyscAPI.version + 1)],
                body: .init(byteBuffer: ByteBuffer(string: #"{"role":"judge","label":"judge a@example.org"}"#)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let seen = Mutex<[Int]>([])
            let api = APIClient(server: URL(string: "http://127.0.0.1:\(client.port!)")!, token: "t") { version in
                seen.withLock { $0.append(version) }
            }
            _ = try await api.whoami()
            #expect(seen.withLock { $0 } == [WyscAPI.version + 1])
        }
    }
}
