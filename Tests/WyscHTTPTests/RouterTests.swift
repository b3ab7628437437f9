import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
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
            }
        }
    }
}
