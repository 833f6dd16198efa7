import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

@Suite("Postgres connection")
struct ConnectionTests {
    @Test func parametersRoundTripIncludingNullAndUnicode() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let result = try conn.query(
                "SELECT $1::text, $2::text, $3::int, $4::bigint, $5::bool, $6::jsonb, $7::float8",
                ["héllo wörld 🚀 \t\n'\"\\", String?.none, Int32(-42), Int64.max, true, JSONB(#"{"a": [1, "ü"]}"#), 1.5]
            )
            let row = result.rows[0]
            #expect(try row.decode(String.self, 0) == "héllo wörld 🚀 \t\n'\"\\")
            #expect(try row.decode(String?.self, 1) == nil)
            #expect(try row.decode(Int32.self, 2) == -42)
            #expect(try row.decode(Int64.self, 3) == Int64.max)
            #expect(try row.decode(Bool.self, 4) == true)
            #expect(try row.decode(JSONB.self, 5).text == #"{"a": [1, "ü"]}"#)
            #expect(try row.decode(Double.self, 6) == 1.5)
            #expect(throws: PostgresError.self) { try row.decode(String.self, 1) }
        }
    }

    @Test func timestampUUIDAndByteaRoundTrip() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let date = Date(timeIntervalSince1970: 1_764_213_917.123456)
            let uuid = UUID()
            let bytes = Bytea([0, 1, 2, 255, 0x5c, 0x27])
            let row = try conn.query("SELECT $1::timestamptz, $2::uuid, $3::bytea, '2001-02-03 04:05:06+05:30'::timestamptz",
                                     [date, uuid, bytes]).rows[0]
            let back = try row.decode(Date.self, 0)
            #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode(UUID.self, 1) == uuid)
            #expect(try row.decode(Bytea.self, 2) == bytes)
            #expect(try row.decode(Date.self, 3).timeIntervalSince1970 == 981_153_306)
        }
    }

    @Test func uniqueViolationCarriesSQLStateAndDetail() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try conn.query("INSERT INTO t VALUES ($1)", [1])
            let error = try #require(throws: PostgresError.self) { try conn.query("INSERT INTO t VALUES ($1)", [1]) }
            #expect(error.sqlState == "23505")
            #expect(error.code == .server)
            #expect(error.detail?.contains("(id)=(1)") == true)
            #expect(!error.isConnectionError)
        }
    }

    @Test func missingTableIs42P01() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            let error = try #require(throws: PostgresError.self) { try conn.query("SELECT * FROM nope") }
            #expect(error.sqlState == "42P01")
            #expect(error.message.contains("nope"))
            // The connection is still usable afterwards.
            #expect(try conn.query("SELECT 1").rows[0].decode(Int.self, 0) == 1)
        }
    }

    @Test func transactionRollsBackOnThrownError() async throws {
        struct Boom: Error {}
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int)")
            #expect(throws: Boom.self) {
                try conn.transaction { conn in
                    try conn.query("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
            #expect(conn.transactionStatus == .idle)
            try conn.transaction { conn in try conn.query("INSERT INTO t VALUES (2)") }
            #expect(try conn.query("SELECT array_agg(id)::text FROM t").rows[0].decode(String.self, 0) == "{2}")
        }
    }

    @Test func aSwallowedErrorInATransactionIsNotReportedAsCommitted() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            #expect(throws: PostgresError.self) {
                try conn.transaction { conn in
                    try conn.query("INSERT INTO t VALUES (1)")
                    _ = try? conn.query("INSERT INTO t VALUES (1)")
                }
            }
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 0)
        }
    }

    @Test func savepointUndoesOnlyItsOwnWrites() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try conn.transaction { conn in
                try conn.query("INSERT INTO t VALUES (1)")
                _ = try? conn.savepoint { conn in
                    try conn.query("INSERT INTO t VALUES (2)")
                    try conn.query("INSERT INTO t VALUES (1)")
                }
                try conn.savepoint { conn in try conn.query("INSERT INTO t VALUES (3)") }
            }
            #expect(try conn.query("SELECT array_agg(id ORDER BY id)::text FROM t").rows[0].decode(String.self, 0) == "{1,3}")
        }
    }

    @Test func copyLoadsOneHundredThousandRows() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int, label text, note text)")
            let loaded = try conn.copyIn("COPY t (id, label, note) FROM STDIN") { writer in
                for i in 0..<100_000 {
                    try writer.appendRow([String(i), "row \(i)\twith tab\\ and \n newline\r\\", i % 10 == 0 ? nil : "ü"])
                }
            }
            #expect(loaded == 100_000)
            let row = try conn.query("SELECT count(*), count(note), sum(id), max(label) FILTER (WHERE id = 7) FROM t").rows[0]
            #expect(try row.decode(Int.self, 0) == 100_000)
            #expect(try row.decode(Int.self, 1) == 90_000)
            #expect(try row.decode(Int.self, 2) == 4_999_950_000)
            #expect(try row.decode(String.self, 3) == "row 7\twith tab\\ and \n newline\r\\")
        }
    }

    /// The binary format: bigints, text taken byte for byte (tabs, newlines, backslashes,
    /// non-ASCII), NULLs; a row with the wrong number of fields is the server's error, and
    /// the connection goes on.
    @Test func binaryCopyLoadsRowsExactly() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id bigint, label text, note text)")
            let loaded = try conn.copyIn("COPY t (id, label, note) FROM STDIN (FORMAT binary)", format: .binary) { writer in
                for i in 0..<100_000 {
                    writer.beginBinaryRow(fields: 3)
                    writer.appendBinary(Int64(i) - 50_000)
                    writer.appendBinary("row \(i)\twith tab\\ and \n newline\r\\")
                    writer.appendBinary(i % 10 == 0 ? nil : "ü\\N")
                    try writer.endRow()
                }
            }
            #expect(loaded == 100_000)
            let row = try conn.query("SELECT count(*), count(note), sum(id), max(label) FILTER (WHERE id = -49993), min(id), max(note) FROM t").rows[0]
            #expect(try row.decode(Int.self, 0) == 100_000)
            #expect(try row.decode(Int.self, 1) == 90_000)
            #expect(try row.decode(Int.self, 2) == -50_000)
            #expect(try row.decode(String.self, 3) == "row 7\twith tab\\ and \n newline\r\\")
            #expect(try row.decode(Int.self, 4) == -50_000)
            #expect(try row.decode(String.self, 5) == "ü\\N")
            #expect(throws: PostgresError.self) {
                try conn.copyIn("COPY t (id, label, note) FROM STDIN (FORMAT binary)", format: .binary) { writer in
                    writer.beginBinaryRow(fields: 2)
                    writer.appendBinary(Int64(1))
                    writer.appendBinary("short")
                    try writer.endRow()
                }
            }
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 100_000)
        }
    }

    @Test func copyAbortedByAThrownErrorLoadsNothing() async throws {
        struct Stop: Error {}
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int)")
            #expect(throws: Stop.self) {
                try conn.copyIn("COPY t FROM STDIN") { writer in
                    try writer.appendRow(["1"])
                    throw Stop()
                }
            }
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 0)
        }
    }

    @Test func killedBackendGivesAClearConnectionError() async throws {
        try await TestDatabase.with { db in
            let victim = try db.connect()
            let killer = try db.connect()
            try killer.query("SELECT pg_terminate_backend($1)", [victim.backendPID])
            let error = try #require(throws: PostgresError.self) { try victim.query("SELECT 1") }
            #expect(error.isConnectionError)
            #expect(error.code == .connectionLost)
            #expect(!victim.isHealthy)
            #expect(String(describing: error).contains("terminat"))
        }
    }

    @Test func badCredentialsFailToConnectWithoutLeakingThePassword() async throws {
        let url = try TestDatabase.clusterURL()
        let config = ConnectionConfig(url: url).with("dbname", "no_such_db_x").with("password", "s3cr3t-value")
        let error = try #require(throws: PostgresError.self) { try Connection(config) }
        #expect(error.code == .connectionFailed)
        #expect(String(describing: error).contains("no_such_db_x"))
        #expect(!String(describing: error).contains("s3cr3t-value"))
    }

    @Test func pipelineRunsManyStatementsAndReportsTheFailingOne() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try conn.transaction { conn in
                let results = try conn.pipeline((1...50).map { .init("INSERT INTO t VALUES ($1)", [$0]) })
                #expect(results.count == 50)
            }
            try conn.execute("BEGIN")
            let failure = try #require(throws: PipelineFailure.self) {
                try conn.pipeline([.init("INSERT INTO t VALUES ($1)", [100]), .init("INSERT INTO t VALUES ($1)", [3]), .init("INSERT INTO t VALUES ($1)", [101])])
            }
            conn.rollbackQuietly()
            #expect(failure.index == 1)
            #expect(failure.error.sqlState == "23505")
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 50)
        }
    }

    @Test func quoteIdentifierQuotesSpecialNames() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            #expect(try conn.quoteIdentifier(#"we"ird table"#) == #""we""ird table""#)
        }
    }

    @Test func sessionRunsBlockingCallsOnItsOwnThread() async throws {
        try await TestDatabase.with { db in
            let session = PostgresSession(config: db.config, name: "baton-pg-test")
            let (onOwnThread, thread, value) = try await session.withConnection { conn in
                // The system name of the thread running the body.
                let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                return (session.isOnSessionThread, name.trimmingCharacters(in: .whitespacesAndNewlines),
                        try conn.query("SELECT 41 + 1").rows[0].decode(Int.self, 0))
            }
            #expect(onOwnThread)
            #expect(thread == "baton-pg-test")
            #expect(!session.isOnSessionThread)
            #expect(value == 42)
            // Eight sessions sleeping in Postgres at once: each blocks its own thread, so all
            // eight are seen sleeping at the same moment (on the cooperative pool, at most as
            // many as there are cores could be).
            let watcher = try db.connect()
            let sleepers = (0..<8).map { PostgresSession(config: db.config, name: "baton-test-\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for s in sleepers {
                    group.addTask { try await s.withConnection { try $0.execute("SELECT pg_sleep(3) /* baton-test */") } }
                }
                var seen = 0
                let deadline = ContinuousClock.now + .seconds(20)
                while seen < 8 && ContinuousClock.now < deadline {
                    seen = try watcher.query("""
                        SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(3) /* baton-test */'
                        """).rows[0].decode(Int.self, 0)
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(seen == 8)
                try await group.waitForAll()
            }
        }
    }

    @Test func aServerThatStopsAnsweringCostsAtMostTheAnswerTimeout() async throws {
        try await TestDatabase.with { db in
            var config = db.config
            config.answerTimeout = .milliseconds(500)
            let conn = try Connection(config)
            let started = ContinuousClock.now
            let error = try #require(throws: PostgresError.self) { try conn.query("SELECT pg_sleep(5)") }
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(error.isConnectionError)
            #expect(error.message.contains("no answer within"))
            #expect(!conn.isHealthy)
            // A statement given its own, longer timeout is waited for.
            let fresh = try Connection(config)
            #expect(try fresh.query("SELECT pg_sleep(0.8), 1", timeout: .seconds(5)).rows[0].decode(Int.self, 1) == 1)
        }
    }

    @Test func aPipelineOutsideATransactionIsOneAtomicTransaction() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            #expect(throws: PipelineFailure.self) {
                try conn.pipeline([.init("INSERT INTO t VALUES ($1)", [1]), .init("INSERT INTO t VALUES ($1)", [1])])
            }
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 0)
            #expect(conn.transactionStatus == .idle)
            try conn.pipeline([.init("INSERT INTO t VALUES ($1)", [1]), .init("INSERT INTO t VALUES ($1)", [2])])
            #expect(try conn.query("SELECT count(*) FROM t").rows[0].decode(Int.self, 0) == 2)
        }
    }

    @Test func parameterTypesAreTheOnesTheServerInfers() async throws {
        try await TestDatabase.with { db in
            let conn = try db.connect()
            try conn.execute("CREATE TABLE t (id bigint, name text, at timestamptz, doc jsonb)")
            let types = try conn.parameterTypes(of: "INSERT INTO t VALUES ($1, lower($2), $3, $4) ON CONFLICT DO NOTHING")
            #expect(types == ["bigint", "text", "timestamp with time zone", "jsonb"])
        }
    }

    @Test func sessionSettingsApplyToEveryConnection() async throws {
        try await TestDatabase.with { db in
            var config = db.config
            config.sessionSettings = [("idle_in_transaction_session_timeout", "2500")]
            let conn = try Connection(config)
            #expect(try conn.query("SHOW idle_in_transaction_session_timeout").rows[0].decode(String.self, 0) == "2500ms")
        }
    }
}
