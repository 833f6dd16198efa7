@testable import Baton
import BatonPostgres
import BatonTestSupport
import Foundation
import Testing

/// LISTEN/NOTIFY wake-ups (issue 14): commits that enqueue items notify, idle workers wake
/// on it, polling stays the fallback, and nothing listens behind a transaction pooler.
@Suite("Wake-ups (LISTEN/NOTIFY)", .serialized)
struct WakeupTests {
    @Test func aWaitingWorkerWakesOnTheSignalAndOtherwiseSleepsItsInterval() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let started = clock.now
        async let woken: Void = wakeup.wait(upTo: .seconds(20))
        try await Task.sleep(for: .milliseconds(100))
        wakeup.signal()
        try await woken
        #expect(clock.now - started < .seconds(10), "woken by the signal, not the 20 s interval")
        let quiet = clock.now
        try await wakeup.wait(upTo: .milliseconds(200))
        #expect(clock.now - quiet >= .milliseconds(190), "no signal: the whole interval")
    }

    @Test func seedingAndCommitsThatEnqueueNotifyTheRunAlsoWithPollOnly() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            try ws.writeIDs("n", count: 30)
            let file = try ws.write("woken.yaml", """
                pipeline: woken
                source:
                  jsonl: \(ws.url.path)/fixtures/n.jsonl
                  key: .id
                stages:
                  - name: one
                    jq: '{id, two: (.id * 2)}'
                  - name: two
                    jq: .
                    fuse: false
                """)
            let migrated = try await BatonProcess.run(["migrate"], database: db)
            #expect(migrated.status == 0, "\(migrated)")
            let listener = try db.connect()
            try listener.listen("baton_work")
            let output = try await BatonProcess.run(["run", file, "--run", "r", "--progress", "none", "--poll-only"], database: db)
            #expect(output.status == 0, "\(output)")
            var received: [PostgresNotification] = []
            while true {
                let batch = try listener.notifications(waitingUpTo: .milliseconds(500))
                if batch.isEmpty { break }
                received += batch
            }
            let conn = try db.connect()
            let runID = try Ops.count(conn, "SELECT id FROM baton.runs WHERE name = 'r'")
            // The seed chunk and the commit enqueueing stage two: one notification each at least,
            // all naming the run; never one per item.
            #expect(received.count >= 2 && received.count < 30, "\(received)")
            #expect(received.allSatisfy { $0.channel == "baton_work" && $0.payload == String(runID) }, "\(received)")
        }
    }

    @Test func behindPgBouncerInTransactionModeNothingListens() async throws {
        try await TestDatabase.with { db in
            let bouncer = try TestPgBouncer()
            defer { bouncer.stop() }
            let conn = try Connection(ConnectionConfig(url: bouncer.url(for: db)))
            #expect(conn.isPooled, "auto-detected")
            #expect(throws: PostgresError.self) { try conn.listen("baton_work") }
            let direct = try db.connect()
            #expect(!direct.isPooled)
        }
    }
}
