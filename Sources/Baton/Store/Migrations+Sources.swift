extension Migrations {
    /// Migration 3: incremental cursors and remembered files (the reader state itself is
    /// `runs.seed_state`, from migration 2).
    static let sources = Migration(version: 3, name: "incremental cursors, remembered files", sql: """
        -- The highest incremental cursor value per pipeline, committed with the records that
        -- advanced it. Not tied to a run: it outlives `prune`.
        CREATE TABLE baton.cursors (
            pipeline   text PRIMARY KEY,
            value      text NOT NULL,
            kind       text NOT NULL CHECK (kind IN ('number', 'timestamp', 'text')),
            run_id     bigint,
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Item keys an incremental source seeded, with the cursor value they had: a record
        -- read again (lookback, `>=` queries) with the same key and cursor is a duplicate.
        CREATE TABLE baton.cursor_keys (
            pipeline text NOT NULL,
            key      text NOT NULL,
            cursor   text NOT NULL,
            run_id   bigint NOT NULL,
            seen_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (pipeline, key)
        );

        -- Files of a file-set source (glob or folder) read to their end, per pipeline.
        CREATE TABLE baton.source_files (
            pipeline text NOT NULL,
            path     text NOT NULL,
            size     bigint NOT NULL,
            modified bigint NOT NULL,
            checksum text NOT NULL,
            run_id   bigint NOT NULL,
            read_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (pipeline, path)
        );
        """)
}
