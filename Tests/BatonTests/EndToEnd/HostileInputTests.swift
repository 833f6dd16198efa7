import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Garbage in: each gets a clear error (file, line, what is wrong; never a whole record
/// quoted, never a secret) and nothing half-written, or is handled as data.
@Suite("Hostile input (end to end)")
struct HostileInputTests {
    private func pipeline(_ ws: Workspace, source: String, stages: String = "  - { name: keep, jq: '.' }", onError: String = "fail") throws -> String {
        try ws.write("hostile.yaml", """
            pipeline: hostile
            source:
            \(source)
              key: .id
              on_error: \(onError)
            stages:
            \(stages)
            """)
    }

    @Test func invalidUTF8IsABadRecordNamingItsLineAndByte() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let data = Data(#"{"id": 1}"#.utf8) + Data([0x0A]) + Data(#"{"id": 2, "name": "caf"#.utf8) + Data([0xE9, 0x22, 0x7D, 0x0A])
            let path = ws.url.appendingPathComponent("bad.jsonl")
            try data.write(to: path)
            let strict = try pipeline(ws, source: "  jsonl: \(path.path)")
            let failed = try await BatonProcess.run(["run", strict, "--progress", "none"], database: db)
            #expect(failed.status == 65, "\(failed)")
            #expect(failed.stderr.contains("bad.jsonl:2: invalid UTF-8 at byte 23 of line 2 (byte offset 32 in the file)"), "\(failed)")
            let conn = try db.connect()
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0)

            let lenient = try pipeline(ws, source: "  jsonl: \(path.path)", onError: "skip")
            let skipped = try await BatonProcess.run(["run", lenient, "--progress", "none"], database: db)
            #expect(skipped.status == 1, "\(skipped)")
            let bad = try Ops.rows(conn, "SELECT key, error_class, last_error FROM baton.items WHERE state = 'failed'")
            #expect(bad.count == 1 && bad[0].hasPrefix("line:2|bad record|invalid UTF-8 at byte 23"), "\(bad)")
            // Nothing was changed silently: the good record went through as it was.
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.results") == 1)
        }
    }

    /// `FOLDER/live.jsonl` of 100 000 records, and the size of its first 60 000 lines: a
    /// truncation there ends the file at a line end, well past what a seeder has read when
    /// its first chunk (5 000 records) commits.
    static func liveFile(in folder: URL) throws -> (URL, Int) {
        // Seeded in bulk (`--seed-only`), a chunk is 50 000 records: the cut is chunks away.
        let lines = (1...300_000).map { #"{"id": \#($0), "pad": "padding padding padding"}"# }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("live.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: path, atomically: false, encoding: .utf8)
        return (path, lines.prefix(180_000).joined(separator: "\n").utf8.count + 1)
    }

    /// A source file truncated under a running run (logrotate's copytruncate) at a line end
    /// once read as "the source is done": the run succeeded with 40 % of the file missing.
    /// Now the end of the source is checked against the file the run started with.
    /// The same for a file of a file set (a folder source).
    @Test(arguments: [false, true])
    func aFileTruncatedWhileItIsSeededStopsTheRunInsteadOfEndingItShort(inAFileSet: Bool) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let folder = ws.url.appendingPathComponent("drops")
            let (path, kept) = try Self.liveFile(in: folder)
            let file = try pipeline(ws, source: "  jsonl: \(inAFileSet ? folder.path : path.path)")
            let process = try BatonProcess.start(["run", file, "--run", "rot", "--seed-only", "--progress", "none"], database: db)
            let conn = try db.connect()
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline,
                  (try? Ops.count(conn, "SELECT coalesce(max(seeded), 0) FROM baton.runs")) ?? 0 == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            // At a line end, well past what the seeder has read (two chunks at most).
            #expect(truncate(path.path, off_t(kept)) == 0)
            let output = try await process.wait(timeout: .seconds(120))
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("live.jsonl changed while the run read it"), "\(output)")
            #expect(try Ops.runState(conn, "rot") == "running", "not finished short")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs WHERE seed_done") == 0)
        }
    }

    /// In `baton work --once` the run whose file was truncated is skipped (exit 65 at the end),
    /// never finished short.
    @Test func aFileTruncatedWhileBatonWorkSeedsItIsSkippedWithExit65() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let (path, kept) = try Self.liveFile(in: ws.url)
            let file = try pipeline(ws, source: "  jsonl: \(path.path)")
            let first = try BatonProcess.start(["run", file, "--run", "rot", "--seed-only", "--progress", "none"], database: db)
            let sent = await Ops.signal(first, SIGINT, database: db, when: "SELECT coalesce(max(seeded), 0)::int FROM baton.runs", reaches: 1)
            #expect(sent)
            _ = try await first.wait(timeout: .seconds(60))
            let conn = try db.connect()
            let before = try Ops.count(conn, "SELECT seeded FROM baton.runs")
            try #require(before < 150_000, "seeding was stopped early: \(before)")

            let worker = try BatonProcess.start(["work", "--once", "--poll", "0.2", "--progress", "none"], database: db)
            let seeding = await Ops.wait(for: worker, database: db, until: "SELECT seeded FROM baton.runs", reaches: before + 1)
            #expect(seeding && truncate(path.path, off_t(kept)) == 0)
            let output = try await worker.wait(timeout: .seconds(120))
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("cannot work run rot; skipping it"), "\(output)")
            #expect(output.stderr.contains("live.jsonl changed while the run read it"), "\(output)")
            #expect(try Ops.runState(conn, "rot") == "running", "not finished short")
        }
    }

    /// A NUL character or an over-long key past the first chunk passed the check before the
    /// run was created: 10 000 records were enqueued and 1 400 loaded before exit 65, and the
    /// run could be neither resumed nor rerun. Now the check refuses them like any bad record.
    @Test(arguments: [#"{"id": "late", "b": "x\u0000y"}"#, #"{"id": "\#(String(repeating: "k", count: 1500))"}"#])
    func aRecordPostgresCannotStoreIsRefusedBeforeAnythingIsSeeded(late record: String) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/late.jsonl", (1...12_000).map { #"{"id": \#($0)}"# }.joined(separator: "\n") + "\n" + record + "\n")
            let file = try pipeline(ws, source: "  jsonl: \(ws.url.path)/fixtures/late.jsonl", stages: """
                  - name: load
                    sql: insert into late_out (id) values (:id)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE late_out (id text)")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("late.jsonl:12001: "), "\(output)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM baton.runs") == 0, "no run created")
            #expect(try Ops.count(conn, "SELECT count(*) FROM late_out") == 0, "nothing loaded")
        }
    }

    /// `"\\u0000"` is an escaped backslash and the text `u0000`, which Postgres stores: it
    /// was refused as a NUL character. A real `\u0000` is still a bad record, and keeps its
    /// raw line for `failures` (it was stored empty).
    @Test func anEscapedBackslashBeforeU0000IsNoNULAndARealNULKeepsItsLine() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.write("fixtures/nul.jsonl", [
                #"{"id": "a", "p": "\\u0000"}"#, #"{"id": "b", "p": "x\\\\u0000"}"#, #"{"id": "c", "p": "\\\u0000"}"#,
            ].joined(separator: "\n") + "\n")
            let file = try pipeline(ws, source: "  jsonl: \(ws.url.path)/fixtures/nul.jsonl", onError: "skip")
            let output = try await BatonProcess.run(["run", file, "--run", "n", "--progress", "none"], database: db)
            #expect(output.status == 1, "one bad record: \(output)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT key || ' ' || (payload->>'p') FROM baton.items WHERE state = 'done' ORDER BY key")
                    == [#"a \u0000"#, #"b x\\u0000"#])
            #expect(try Ops.rows(conn, "SELECT payload->>'raw' FROM baton.items WHERE state = 'failed'") == [#"{"id":"c","p":"\\\u0000"}"#], "compacted by jq: not strict JSON")
        }
    }

    /// 64-bit ids past 2⁵³ lost their last digits without a jq stage in sight: through SQL
    /// parameters (`9007199254740993` loaded as …992), `_payload`, and the content key of an
    /// unkeyed record (two ids 1 apart became one item, counted as a duplicate).
    @Test(arguments: [nil, ".id"])
    func largeIntegerIdsKeepEveryDigit(key: String?) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let ids = ["-9223372036854775808", "9007199254740993", "1541815603606036480", "12345678901234567890", "12345678901234567891"]
            try ws.write("fixtures/ids.jsonl", ids.map { #"{"id": \#($0), "s": "a b"}"# }.joined(separator: "\n") + "\n")
            let file = try ws.write("ids.yaml", """
                pipeline: ids
                source:
                  jsonl: \(ws.url.path)/fixtures/ids.jsonl
                \(key.map { "  key: \($0)" } ?? "")
                stages:
                  - name: load
                    sql: insert into ids_out (id, payload, item) values (:id::numeric, :_payload::jsonb, :_key)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE ids_out (id numeric, payload jsonb, item text)")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let loaded = try Ops.rows(conn, "SELECT id::text FROM ids_out ORDER BY id")
            #expect(Set(loaded) == Set(ids) && loaded.count == ids.count, "\(loaded)")
            #expect(try Ops.count(conn, "SELECT count(*) FROM ids_out WHERE (payload->>'id')::numeric = id") == ids.count, "_payload exact")
            #expect(try Ops.count(conn, "SELECT count(DISTINCT item) FROM ids_out") == ids.count, "one item each")
            if key != nil {
                #expect(Set(try Ops.rows(conn, "SELECT item FROM ids_out")) == Set(ids), "the keys are the ids")
            }
        }
    }

    /// An http stage's `into:` parsed the item and the answer into doubles: ids past 2⁵³ lost
    /// their last digits on both sides (`12345678901234567891` stored as `12345678901234567000`).
    /// The answer is set into the item's text now, every literal as written; an item that
    /// already has the member (its name escaped or not) still has it replaced.
    @Test func intoKeepsLargeIntegersOfTheItemAndTheAnswerExact() async throws {
        let server = try TestHTTPServer.start { request in
            .json(#"{"owner_id": 9007199254740993, "path": "\#(request.path)", "ratio": 1.50}"#)
        }
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let data = try ws.write("fixtures/big.jsonl", """
                {"id": 12345678901234567891, "name": "a"}
                {"id": 2, "remote": "old", "tags": [1, 2]}
                {"id": 3, "name": "c", "\\u0072emote": "old", "big": 9007199254740993}

                """)
            let file = try ws.write("big.yaml", """
                pipeline: big
                source:
                  jsonl: \(data)
                  key: .name // "b"
                stages:
                  - name: fetch
                    http:
                      url: "\(server.baseURL)/things/{{ .id }}"
                      into: remote
                  - name: load
                    sql: insert into big_out (id, owner, payload) values (:id::numeric, :remote.owner_id::numeric, :_payload::jsonb)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE big_out (id numeric, owner numeric, payload jsonb)")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let loaded = try Ops.rows(conn, "SELECT id || ' ' || owner FROM big_out ORDER BY id")
            #expect(loaded == ["2 9007199254740993", "3 9007199254740993", "12345678901234567891 9007199254740993"], "\(loaded)")
            #expect(Set(server.requests.map(\.path)) == ["/things/12345678901234567891", "/things/2", "/things/3"])
            let payloads = try Ops.rows(conn, "SELECT payload::text FROM big_out ORDER BY id")
            #expect(payloads == [
                #"{"id": 2, "tags": [1, 2], "remote": {"path": "/things/2", "ratio": 1.50, "owner_id": 9007199254740993}}"#,
                #"{"id": 3, "big": 9007199254740993, "name": "c", "remote": {"path": "/things/3", "ratio": 1.50, "owner_id": 9007199254740993}}"#,
                #"{"id": 12345678901234567891, "name": "a", "remote": {"path": "/things/12345678901234567891", "ratio": 1.50, "owner_id": 9007199254740993}}"#,
            ], "\(payloads)")
        }
    }

    /// Keys that are one Swift `String` but different bytes (é precomposed and e + combining
    /// accent; Å and the Ångström sign) were one key to Baton and two to Postgres: at seeding
    /// the second record was dropped as a duplicate, and at a last stage one of two results was
    /// dropped (exit 0 both times). Keys are compared byte by byte everywhere now.
    @Test func keysThatDifferOnlyInUnicodeNormalisationStayDistinct() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let keys = ["\u{E9}", "e\u{301}", "\u{C5}", "\u{212B}"]
            #expect(Set(keys).count == 2, "Swift itself sees two")
            let data = try ws.write("fixtures/nfc.jsonl", keys.enumerated().map { #"{"n": \#($0.offset), "k": "\#($0.element)"}"# }
                .joined(separator: "\n") + "\n")
            let seeded = try ws.write("seeded.yaml", """
                pipeline: seeded
                source: { jsonl: \(data), key: .k }
                stages:
                  - name: load
                    sql: insert into nfc_out (k, n) values (:k, :n)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE nfc_out (k text PRIMARY KEY, n int)")
            let first = try await BatonProcess.run(["run", seeded, "--progress", "none"], database: db)
            #expect(first.status == 0, "\(first)")
            #expect(try Ops.rows(conn, "SELECT n::text FROM nfc_out ORDER BY n") == ["0", "1", "2", "3"])
            // Chosen keys of a later stage, written to baton.results by the last stage.
            let chosen = try ws.write("chosen.yaml", """
                pipeline: chosen
                source: { jsonl: \(data), key: .n }
                stages:
                  - name: pass
                    jq: .
                  - name: by_k
                    key: .k
                    jq: .
                """)
            let second = try await BatonProcess.run(["run", chosen, "--run", "c", "--progress", "none"], database: db)
            #expect(second.status == 0, "\(second)")
            #expect(try Ops.rows(conn, "SELECT payload->>'n' FROM baton.results r JOIN baton.runs u ON u.id = r.run_id WHERE u.name = 'c' ORDER BY 1")
                    == ["0", "1", "2", "3"])
        }
    }

    /// SQL parameters went through doubles for every number but integers: `98765432109876.54321`
    /// was bound as `98765432109876.55`, `1e400` as `1.7976931348623157e+308`, and an object or
    /// array parameter had every number of it rounded (`9007199254740993` became …992). A number
    /// a double would change keeps its literal now, an object or array its text as written; a
    /// number a double holds is bound as before (`1.0` as `1`, so `:qty::int` still works).
    @Test func sqlParametersBindNumbersAndObjectsExactly() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let data = try ws.write("fixtures/exact.jsonl", #"""
                {"id": 1, "d": 98765432109876.54321, "f": 1e400, "t": 1e-400, "qty": 1.0, "obj": {"m": 9007199254740993, "g": 1.50}, "arr": [9007199254740993, 0.1]}

                """#)
            let file = try ws.write("exact.yaml", """
                pipeline: exact
                source: { jsonl: \(data), key: .id }
                stages:
                  - name: load
                    sql: >
                      insert into exact_out (d, f, t, qty, obj, arr, m)
                      values (:d::numeric, :f::numeric, :t::numeric, :qty::int, :obj::jsonb, :arr::jsonb, :obj.m::numeric)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE exact_out (d numeric, f numeric, t numeric, qty int, obj jsonb, arr jsonb, m numeric)")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let row = try Ops.rows(conn, """
                SELECT concat_ws(' | ', d, f = 1e400, t = 1e-400, qty, obj::text, arr::text, m) FROM exact_out
                """)
            #expect(row == ["98765432109876.54321 | t | t | 1 | {\"g\": 1.50, \"m\": 9007199254740993} | [9007199254740993, 0.1] | 9007199254740993"],
                    "\(row)")
        }
    }

    /// A record keyed `line:2` took the key of the bad record at line 2, and that bad record
    /// vanished (done 2, failed 0, no duplicate counted). Keys of that form are refused now:
    /// with `on_error: skip` the record is a bad record of its own, every line accounted for.
    @Test func aKeyOfTheBadRecordFormIsRefusedNotCollided() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let path = try ws.write("coll.jsonl", "{\"id\":\"line:2\"}\n{bad\n{\"id\":\"b\"}\n")
            let strict = try await BatonProcess.run(["run", try pipeline(ws, source: "  jsonl: \(path)"), "--progress", "none"], database: db)
            #expect(strict.status == 65, "\(strict)")
            let lenient = try await BatonProcess.run(["run", try pipeline(ws, source: "  jsonl: \(path)", onError: "skip"), "--progress", "none"],
                                                     database: db)
            #expect(lenient.status == 1, "\(lenient)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT key FROM baton.items WHERE state = 'failed' ORDER BY key") == ["line:1", "line:2"])
            #expect(try Ops.rows(conn, "SELECT key FROM baton.items WHERE state = 'done'") == ["b"])
        }
    }

    @Test func aDeeplyNestedRecordIsRefusedWithAShortMessage() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let path = try ws.write("deep.jsonl", #"{"id": 1}"# + "\n" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n")
            let output = try await BatonProcess.run(["run", try pipeline(ws, source: "  jsonl: \(path)"), "--progress", "none"], database: db)
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("deep.jsonl:2: invalid JSON"), "\(output)")
            #expect(output.stderr.count < 400, "\(output.stderr.count) bytes of stderr")
        }
    }

    /// Carriage returns inside quoted CSV fields were dropped: every `\r` before a line break
    /// in quotes was stripped with the break, so `"a\r\r\nb"` loaded as `a\nb`. A quoted field
    /// now keeps its content as the file has it (RFC 4180), plain or gzipped.
    @Test(arguments: [false, true])
    func quotedCSVFieldsKeepTheirCarriageReturns(gzipped: Bool) async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let values = ["a\r\r\nb", "a\r\nb", "a\nb", "a\rb", "a\r", "\r\n", "plain", "a\r\r\r\nb\nc"]
            var text = "id,v\r\n"
            for (index, value) in values.enumerated() { text += "\(index + 1),\"\(value)\"\r\n" }
            let plain = ws.url.appendingPathComponent("cr.csv")
            try Data(text.utf8).write(to: plain)
            var path = plain.path
            if gzipped {
                let zip = Process()
                zip.executableURL = URL(fileURLWithPath: "/bin/gzip")
                zip.arguments = ["-k", plain.path]
                try zip.run()
                zip.waitUntilExit()
                path += ".gz"
            }
            let file = try pipeline(ws, source: "  csv: \(path)", stages: """
                  - name: load
                    sql: insert into cr_out (id, v) values (:id::int, :v)
                """)
            let conn = try db.connect()
            try conn.execute("CREATE TABLE cr_out (id int, v text)")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let loaded = try conn.query("SELECT v FROM cr_out ORDER BY id").rows.map { try $0.decode(String.self, 0) }
            #expect(loaded == values, "\(loaded.map { $0.debugDescription })")
        }
    }

    @Test func aMalformedCSVRecordNamesItsLine() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let path = try ws.write("people.csv", "id,name\n1,ann\n2,\"bob\n3,cy\n")
            let output = try await BatonProcess.run(["run", try pipeline(ws, source: "  csv: \(path)"), "--progress", "none"], database: db)
            #expect(output.status == 65, "\(output)")
            #expect(output.stderr.contains("people.csv:3: a quoted field that starts on line 3 is never closed"), "\(output)")
        }
    }

    @Test func aMalformedJSONPipelineFileNamesLineAndColumn() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try ws.write("p.json", "{\n  \"pipeline\": \"p\",\n  \"source\": {\"items\": [1]\n  \"stages\": []\n}\n")
        let output = try await BatonProcess.run(["validate", file], database: nil)
        #expect(output.status == 78, "\(output)")
        #expect((output.stdout + output.stderr).contains("p.json:4:3: invalid YAML"), "\(output)")
    }

    @Test func aFiftyMegabyteItemGoesThrough() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let big = String(repeating: "x", count: 50 << 20)
            let path = try ws.write("big.jsonl", #"{"id": 1, "blob": "\#(big)"}"# + "\n" + #"{"id": 2, "blob": "small"}"# + "\n")
            let file = try pipeline(ws, source: "  jsonl: \(path)", stages: "  - { name: measure, jq: '{id, size: (.blob | length)}' }")
            let output = try await BatonProcess.run(["run", file, "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT payload->>'size' FROM baton.results ORDER BY key") == ["\(50 << 20)", "5"])
        }
    }

    @Test func injectionStringsInDataAreBoundNotRun() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let evil = #"x'); DROP TABLE sink; --"#
            let path = try ws.write("evil.jsonl", #"{"id": 1, "v": "\#(evil)"}"# + "\n" + #"{"id": 2, "v": "$1 :id ${HOME} {{ .id }}"}"# + "\n")
            let file = try ws.write("evil.yaml", """
                pipeline: evil
                setup: create table if not exists sink (id bigint, v text)
                source: { jsonl: \(path), key: .id }
                stages:
                  - { name: load, sql: "insert into sink values (:id, :v)" }
                """)
            let output = try await BatonProcess.run(["run", file, "--run", "it's; drop table baton.runs; --", "--progress", "none"], database: db)
            #expect(output.status == 0, "\(output)")
            let conn = try db.connect()
            #expect(try Ops.rows(conn, "SELECT v FROM sink ORDER BY id") == [evil, "$1 :id ${HOME} {{ .id }}"])
            #expect(try Ops.rows(conn, "SELECT name FROM baton.runs") == ["it's; drop table baton.runs; --"])
        }
    }

    @Test func identifiersAndURLsFromTheFileAreChecked() async throws {
        let ws = try Workspace()
        defer { ws.remove() }
        let file = try ws.write("ids.yaml", """
            pipeline: "p; drop table x"
            source: { items: [{id: 1}] }
            stages:
              - { name: "a'b", jq: '.' }
              - name: fetch
                http: { url: "file:///etc/passwd" }
              - name: gopher
                http: { url: "gopher://127.0.0.1/1" }
            """)
        let output = try await BatonProcess.run(["validate", file], database: nil)
        #expect(output.status == 78, "\(output)")
        #expect(output.stdout.contains("ids.yaml:1:11: pipeline: invalid pipeline name"), "\(output)")
        #expect(output.stdout.contains("ids.yaml:4:13: stages[0].name: invalid stage name"), "\(output)")
        #expect(output.stdout.contains("stages[1].http.url: the URL must start with http:// or https://"), "\(output)")
        #expect(output.stdout.contains("stages[2].http.url: the URL must start with http:// or https://"), "\(output)")
    }
}
