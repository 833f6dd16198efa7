import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// `baton cursor show|set|reset`: help, JSON, values of the wrong kind.
@Suite("baton cursor (end to end)")
struct CursorCommandTests {
    @Test(arguments: [["cursor"], ["cursor", "show"], ["cursor", "set"], ["cursor", "reset"]])
    func helpShowsAnExample(_ command: [String]) async throws {
        let output = try await BatonProcess.run(command + ["--help"], database: nil)
        #expect(output.status == 0, "\(output)")
        #expect(output.stdout.contains("USAGE: baton \(command.joined(separator: " "))"), "\(output)")
        #expect(output.stdout.contains("\n  baton cursor "), "\(output)")
    }

    @Test func showSetAndResetAPipelineByName() async throws {
        try await TestDatabase.with { db in
            let empty = try await BatonProcess.run(["cursor", "show", "nightly", "--json"], database: db)
            #expect(empty.status == 0, "\(empty)")
            let none = try #require(try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any])
            #expect(none["pipeline"] as? String == "nightly")
            #expect(none["cursor"] is NSNull)

            let set = try await BatonProcess.run(["cursor", "set", "nightly", "1500"], database: db)
            #expect(set.status == 0, "\(set)")
            #expect(set.stdout.contains("set to 1500 (number)"), "\(set)")
            // The stored kind decides: a timestamp is not a number.
            let wrong = try await BatonProcess.run(["cursor", "set", "nightly", "2026-01-01T00:00:00Z"], database: db)
            #expect(wrong.status == 64, "\(wrong)")
            #expect(wrong.stderr.contains("is not a number"), "\(wrong)")

            let shown = try await BatonProcess.run(["cursor", "show", "nightly", "--json"], database: db)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
            let cursor = try #require(json["cursor"] as? [String: Any])
            #expect(cursor["value"] as? String == "1500")
            #expect(cursor["kind"] as? String == "number")

            let reset = try await BatonProcess.run(["cursor", "reset", "nightly"], database: db)
            #expect(reset.stdout.contains("forgot the cursor (1500), 0 seen keys and 0 files"), "\(reset)")
            #expect(try EngineFixture.count(try db.connect(), "SELECT count(*) FROM baton.cursors") == 0)
        }
    }
}
