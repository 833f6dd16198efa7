extension Migrations {
    /// Migration 4: what a run's source resolved to, how many records it had, where it started.
    static let runOrigin = Migration(version: 4, name: "runs: resolved source, source total, working folder", sql: """
        ALTER TABLE baton.runs
            ADD COLUMN source_identity   jsonb,
            ADD COLUMN source_total      bigint,
            ADD COLUMN working_directory text;
        """)

    /// Migration 5: one row per process working a run, refreshed every few seconds; a run
    /// nobody refreshes is shown as interrupted.
    static let workers = Migration(version: 5, name: "worker heartbeats", sql: """
        CREATE TABLE baton.workers (
            name       text PRIMARY KEY,
            run_id     bigint REFERENCES baton.runs (id) ON DELETE CASCADE,
            pid        integer NOT NULL,
            host       text NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            seen_at    timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX workers_run ON baton.workers (run_id);
        """)
}
