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
