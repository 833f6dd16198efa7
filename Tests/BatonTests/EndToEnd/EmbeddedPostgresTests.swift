import BatonTestSupport
import Foundation
import Testing

/// With no database configured, `baton` starts its own Postgres under `.baton/postgres`.
@Suite("Embedded Postgres (end to end)", .serialized)
struct EmbeddedPostgresTests {
    @Test func withNoDatabaseConfiguredBatonStartsALocalPostgresAndStopLeavesNothingRunning() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        defer { _ = try? BatonProcess.start(["postgres", "stop"], database: nil, directory: ws.url).process.waitUntilExit() }

        let first = try await BatonProcess.run(["migrate"], database: nil, directory: ws.url)
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("no database configured: created and started a local Postgres"))
        #expect(first.stdout.contains("applied migration 1"))
        let link = ws.url.appendingPathComponent(".baton/postgres").path
        #expect(FileManager.default.fileExists(atPath: link))

        let second = try await BatonProcess.run(["migrate", "--status"], database: nil, directory: ws.url)
        #expect(second.status == 0, "\(second)")
        #expect(second.stderr.isEmpty, "no notice when the cluster already runs (issue 10, point 13): \(second)")
        #expect(second.stdout.contains("1  runs, items, attempts, results  applied"))

        let stop = try await BatonProcess.run(["postgres", "stop"], database: nil, directory: ws.url)
        #expect(stop.status == 0, "\(stop)")
        #expect(stop.stdout.contains("stopped the local Postgres"))
        let status = try await BatonProcess.run(["postgres", "status"], database: nil, directory: ws.url)
        #expect(status.stdout.contains("not running"))
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? link
        #expect(!FileManager.default.fileExists(atPath: resolved + "/data/postmaster.pid"))
    }

    @Test func withoutADatabaseOrServerBinariesTheErrorNamesThePackage() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let output = try await BatonProcess.run(["migrate"], database: nil, directory: ws.url,
                                                environment: ["BATON_PG_BINDIR": "/nonexistent"])
        #expect(output.status == 69, "\(output)")
        #expect(output.stderr.contains("apt-get install postgresql"))
        #expect(output.stderr.contains("BATON_DATABASE_URL"))
    }
}

@Suite("Migrations (end to end)")
struct MigrationTests {
    @Test func twoMigrationsStartedAtOnceBothSucceed() async throws {
        try await TestDatabase.with { db in
            let a = try BatonProcess.start(["migrate"], database: db)
            let b = try BatonProcess.start(["migrate"], database: db)
            let (first, second) = (try await a.wait(), try await b.wait())
            #expect(first.status == 0, "\(first)")
            #expect(second.status == 0, "\(second)")
            // One applied the migration, the other found the schema up to date.
            let outputs = [first.stdout, second.stdout]
            #expect(outputs.filter { $0.contains("applied migration 1") }.count == 1, "\(outputs)")
            #expect(outputs.filter { $0.contains("is up to date") }.count == 1, "\(outputs)")
            let status = try await BatonProcess.run(["migrate", "--status"], database: db)
            #expect(status.stdout.contains("1  runs, items, attempts, results  applied"))
        }
    }
}
