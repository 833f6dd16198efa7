import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// A run is only resumed when it is named: default names are unique, and naming a run that
/// read another source is refused (issue 10, point 1).
@Suite("Unique runs and resolved sources (end to end)", .serialized)
struct UniqueRunOperationsTests {
    /// `jsonl: ${IN}` into a table without a unique constraint: every loaded line is a row.
    static func pipeline(_ ws: Workspace) throws -> String {
        try ws.write("fixtures/a.jsonl", try Ops.jsonl((1...3).map { ["id": $0] }))
        try ws.write("fixtures/b.jsonl", try Ops.jsonl((11...14).map { ["id": $0] }))
        return try ws.write("p.yaml", """
            pipeline: p
            setup: create table if not exists loaded (id int not null)
            source:
              jsonl: ${IN}
              key: .id
            stages:
              - name: load
                sql: insert into loaded (id) values (:id)
            """)
    }

    @Test func twoDefaultNamedRunsStartedInTheSameSecondAreTwoRunsAndBothFilesAreLoaded() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            // Created up front: four `setup:` creating it at the same moment could race in Postgres.
            try db.connect().execute("CREATE TABLE loaded (id int NOT NULL)")
            // As `for f in a b; do IN=fixtures/$f.jsonl baton run p.yaml; done`, twice at once so
            // that the same second is certain for at least one pair.
            let outputs = try await withThrowingTaskGroup(of: BatonProcess.Output.self) { group in
                for name in ["a", "b", "a", "b"] {
                    group.addTask {
                        try await BatonProcess.run(["run", file, "--progress", "none"], database: db, directory: ws.url,
                                                   environment: ["IN": "fixtures/\(name).jsonl"])
                    }
                }
                var all: [BatonProcess.Output] = []
                for try await output in group { all.append(output) }
                return all
            }
            for output in outputs {
                #expect(output.status == 0, "\(output)")
                #expect(!output.stdout.contains("already finished"), "\(output)")
            }
            let conn = try db.connect()
            let names = try Ops.rows(conn, "SELECT name FROM baton.runs ORDER BY id")
            #expect(names.count == 4 && Set(names).count == 4, "\(names)")
            let pattern = try Regex(#"^p-\d{8}-\d{6}-[a-z2-7]{4}$"#)
            #expect(names.allSatisfy { $0.wholeMatch(of: pattern) != nil }, "\(names)")
            // a.jsonl twice (3 rows each), b.jsonl twice (4 rows each): nothing silently skipped.
            #expect(try Ops.count(conn, "SELECT count(*) FROM loaded") == 14)
            #expect(try Ops.count(conn, "SELECT count(*) FROM loaded WHERE id >= 11") == 8)
            // Each run knows the absolute file it read.
            let sources = try Ops.rows(conn, "SELECT source_identity->>'path' FROM baton.runs ORDER BY id")
            #expect(Set(sources) == [ws.url.appendingPathComponent("fixtures/a.jsonl").path, ws.url.appendingPathComponent("fixtures/b.jsonl").path], "\(sources)")
        }
    }

    @Test func namingAnExistingRunWithAnotherSourceIsRefusedWith78AndSaysWhatToDo() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let conn = try db.connect()
            let first = try await BatonProcess.run(["run", file, "--run", "nightly", "--progress", "none"], database: db,
                                                   directory: ws.url, environment: ["IN": "fixtures/a.jsonl"])
            #expect(first.status == 0, "\(first)")

            // Another file under the same run name.
            let other = try await BatonProcess.run(["run", file, "--run", "nightly", "--progress", "none"], database: db,
                                                   directory: ws.url, environment: ["IN": "fixtures/b.jsonl"])
            #expect(other.status == 78, "\(other)")
            #expect(other.stderr.contains("run nightly of pipeline p already exists and read another source"), "\(other)")
            #expect(other.stderr.contains(ws.url.appendingPathComponent("fixtures/a.jsonl").path), "\(other)")
            #expect(other.stderr.contains("leave out --run"), "\(other)")
            #expect(other.stderr.contains("baton replay nightly"), "\(other)")
            #expect(other.stdout.isEmpty, "\(other)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM loaded WHERE id >= 11") == 0)

            // The same file, changed: other content is another source too.
            try ws.write("fixtures/a.jsonl", try Ops.jsonl((1...5).map { ["id": $0] }))
            let changed = try await BatonProcess.run(["run", file, "--run", "nightly", "--progress", "none"], database: db,
                                                     directory: ws.url, environment: ["IN": "fixtures/a.jsonl"])
            #expect(changed.status == 78, "\(changed)")
            #expect(changed.stderr.contains("has changed since the run started"), "\(changed)")

            // Back as it was: the run is found, finished, nothing to do (exit 0), nothing loaded twice.
            try ws.write("fixtures/a.jsonl", try Ops.jsonl((1...3).map { ["id": $0] }))
            let same = try await BatonProcess.run(["run", file, "--run", "nightly", "--progress", "none"], database: db,
                                                  directory: ws.url, environment: ["IN": "fixtures/a.jsonl"])
            #expect(same.status == 0, "\(same)")
            #expect(same.stdout.contains("(already finished; nothing to do)"), "\(same)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM loaded") == 3)
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 1)

            // resume and replay still work on it.
            let resume = try await BatonProcess.run(["resume", "nightly", "--progress", "none"], database: db, directory: ws.url,
                                                    environment: ["IN": "fixtures/a.jsonl"])
            #expect(resume.status == 0, "\(resume)")
        }
    }
}
