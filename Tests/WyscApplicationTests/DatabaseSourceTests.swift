import Foundation
import Testing
import WyscApplication
import WyscPostgres

@Suite struct DatabaseSourceTests {
    @Test func theCommandLineWinsOverTheEnvironment() {
        let source = DatabaseSource.resolve(
            databaseURL: "postgresql://flag", dataDirectory: nil, environment: ["DATABASE_URL": "postgresql://env", "PGHOST": "h"])
        guard case .url(let url) = source else {
            Issue.record("expected a URL, got \(source)")
            return
        }
        #expect(url == "postgresql://flag")
    }

    @Test func databaseURLWinsOverPGVariables() {
        let source = DatabaseSource.resolve(databaseURL: nil, dataDirectory: nil, environment: ["DATABASE_URL": "postgresql://env", "PGHOST": "h"])
        guard case .url(let url) = source else {
            Issue.record("expected a URL, got \(source)")
            return
        }
        #expect(url == "postgresql://env")
    }

    @Test func pgVariablesAreLeftToLibpq() {
        let source = DatabaseSource.resolve(databaseURL: nil, dataDirectory: nil, environment: ["PGDATABASE": "wysc"])
        guard case .environment = source else {
            Issue.record("expected the PG* environment, got \(source)")
            return
        }
        #expect(source.configuration.connectionString == nil)
    }

    @Test func withNothingConfiguredTheLocalClusterIsUsed() {
        let source = DatabaseSource.resolve(databaseURL: nil, dataDirectory: nil, environment: ["WYSC_HOME": "/srv/wysc", "PGPASSWORD": "x"])
        guard case .local(let cluster) = source else {
            Issue.record("expected the local cluster, got \(source)")
            return
        }
        #expect(cluster.dataDirectory.path == "/srv/wysc/postgres")
        let explicit = DatabaseSource.resolve(databaseURL: nil, dataDirectory: "/data/pg", environment: [:])
        guard case .local(let other) = explicit else {
            Issue.record("expected the local cluster")
            return
        }
        #expect(other.dataDirectory.path == "/data/pg")
        #expect(other.connectionString == "postgresql://wysc@/wysc?host=/data/pg&port=5432")
    }

    @Test func aLongDataDirectoryGetsAShortSocketDirectory() {
        let deep = "/home/someone/" + String(repeating: "very-long-folder-name/", count: 5) + "postgres"
        let cluster = LocalCluster(dataDirectory: URL(fileURLWithPath: deep))
        #expect(cluster.socketDirectory.hasPrefix("/tmp/wysc-"))
        #expect((cluster.socketDirectory + "/.s.PGSQL.5432").utf8.count < 108)
        #expect(LocalCluster(dataDirectory: URL(fileURLWithPath: deep)).socketDirectory == cluster.socketDirectory)
        #expect(cluster.connectionString.contains("host=/tmp/wysc-"))
    }
}
