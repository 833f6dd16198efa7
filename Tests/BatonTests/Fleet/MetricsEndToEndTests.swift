import BatonPostgres
import BatonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Prometheus metrics (issue 14): `baton work --metrics-listen` scraped with curl during and
/// after a run with failures, skips and retries; `baton run --metrics-file` in the textfile
/// format. What the two processes counted adds up to what `baton status --json` says.
@Suite("Prometheus metrics (end to end)", .serialized)
struct MetricsEndToEndTests {
    static let items = 600

    static func pipeline(_ ws: Workspace) throws -> String {
        try ws.writeIDs("numbers", count: items)
        return try ws.write("metered.yaml", """
            pipeline: metered
            setup: |
              CREATE TABLE IF NOT EXISTS sink (id int NOT NULL);
              CREATE OR REPLACE FUNCTION flaky(id int) RETURNS int LANGUAGE plpgsql AS $$
              BEGIN
                PERFORM pg_sleep(0.01);
                IF id % 7 = 0 THEN RAISE EXCEPTION 'flaky %', id USING ERRCODE = 'BT001'; END IF;
                RETURN id;
              END $$;
            source:
              jsonl: \(ws.url.path)/fixtures/numbers.jsonl
              key: .id
            stages:
              - name: pick
                jq: 'if .id % 11 == 0 then error("eleven") else . end | select(.id % 5 != 0)'
                batch_size: 20
              - name: save
                sql: insert into sink (id) values (flaky(:id::int))
                batch_size: 5
                retry: { max_attempts: 2, backoff: exponential, initial: 10ms, max: 50ms }
            """)
    }

    /// GET `url` with curl: the status and the body.
    static func scrape(_ url: String) async throws -> (status: Int, body: String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-m", "10", "-o", out.path, "-w", "%{http_code}", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let code = pipe.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let body = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        return (Int(String(decoding: code, as: UTF8.self)) ?? 0, body)
    }

    /// The address `baton … --metrics-listen 127.0.0.1:0` says it serves on.
    static func metricsURL(of process: BatonProcess) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOfFile: process.stderrPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+/metrics"#, options: .regularExpression) {
                return String(text[range])
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("baton work never said where it serves metrics")
    }

    @Test func scrapedAndFileMetricsAddUpToTheStatusOfARunWithFailures() async throws {
        try await TestDatabase.with { db in
            let ws = try Workspace()
            defer { ws.remove() }
            let file = try Self.pipeline(ws)
            let prom = ws.url.appendingPathComponent("baton.prom").path
            let worker = try BatonProcess.start(
                ["work", "--metrics-listen", "127.0.0.1:0", "--poll", "0.2", "--workers", "2", "--progress", "none"], database: db)
            let url = try await Self.metricsURL(of: worker)
            let idle = try await Self.scrape(url)
            #expect(idle.status == 200, "\(idle)")
            #expect(try PrometheusText(idle.body).sum("baton_metrics_database_up") == 1, "\(idle.body)")
            #expect(try await Self.scrape(url.replacingOccurrences(of: "/metrics", with: "/other")).status == 404)

            let run = try BatonProcess.start(
                ["run", file, "--run", "m", "--workers", "2", "--progress", "none", "--metrics-file", prom, "--metrics-interval", "1s"],
                database: db)
            // During the run: the backlog of run m is reported, and the file is there and parses.
            var sawBacklog = false, sawFile = false
            while run.process.isRunning {
                let now = try await Self.scrape(url)
                if now.status == 200 {
                    let parsed = try PrometheusText(now.body)
                    if parsed.has("baton_pending_items"), parsed.sum("baton_live_workers", ["run": "m"]) >= 1 { sawBacklog = true }
                }
                if let text = try? String(contentsOfFile: prom, encoding: .utf8) {
                    _ = try PrometheusText(text)
                    sawFile = true
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let ran = try await run.wait()
            #expect(ran.status == 1, "failed items: exit 1\n\(ran)")
            #expect(sawBacklog, "a scrape during the run showed its backlog and a live worker")
            #expect(sawFile, "the file was written during the run")

            let status = try Ops.json(try await BatonProcess.run(["status", "m", "--json"], database: db).stdout)
            let stages = try #require(status["stages"] as? [[String: Any]])
            let after = try PrometheusText(try await Self.scrape(url).body)
            let written = try PrometheusText(try String(contentsOfFile: prom, encoding: .utf8))
            for stage in stages {
                let name = try #require(stage["name"] as? String)
                for outcome in ["done", "skipped", "failed", "retried", "deduplicated", "lease_lost"] {
                    let labels = ["pipeline": "metered", "stage": name, "outcome": outcome]
                    let counted = after.sum("baton_items_total", labels) + written.sum("baton_items_total", labels)
                    #expect(Int(counted) == Ops.int(stage[outcome]), "\(name) \(outcome): metrics \(counted), status \(stage)")
                }
                // The run is over: nothing pending, in both views.
                #expect(written.sum("baton_pending_items", ["run": "m", "stage": name]) == 0)
                #expect(after.sum("baton_pending_items", ["run": "m", "stage": name]) == 0)
            }
            // The deliberate failures are all there (jq errors upstream, flaky rows downstream).
            let failed = after.sum("baton_items_total", ["outcome": "failed"]) + written.sum("baton_items_total", ["outcome": "failed"])
            #expect(Int(failed) == 54 + 62, "\(failed)")
            #expect(after.sum("baton_items_total", ["outcome": "retried"]) + written.sum("baton_items_total", ["outcome": "retried"]) == 62)
            // Both processes saw item and commit latencies.
            #expect(written.sum("baton_commit_duration_seconds_count") > 0)
            #expect(written.sum("baton_item_duration_seconds_count", ["stage": "pick"]) > 0)
            #expect(written.types["baton_item_duration_seconds"] == "histogram")

            worker.signal(SIGTERM)
            let stopped = try await worker.wait(timeout: .seconds(60))
            #expect([0, 75].contains(stopped.status), "\(stopped)")
        }
    }
}
