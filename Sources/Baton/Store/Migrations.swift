/// The numbered schema migrations of schema `baton`, applied in order by ``Store/migrate(_:)``.
/// Never edit a released migration: add a new one.
enum Migrations {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let sql: String
    }

    static let all: [Migration] = [initial, batches, sources, runOrigin, workers, notify, fused, byteKeys, bulkSeed, keyFirst, resultsWithoutKey, bulkIndexes]

    static let initial = Migration(version: 1, name: "runs, items, attempts, results", sql: """
            CREATE TABLE baton.runs (
                id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pipeline        text NOT NULL,
                name            text NOT NULL,
                definition      jsonb NOT NULL,
                definition_text text,
                definition_hash text NOT NULL,
                file            text,
                state           text NOT NULL DEFAULT 'running'
                                CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
                seed_done       boolean NOT NULL DEFAULT false,
                seed_position   bigint NOT NULL DEFAULT 0,
                seed_line       bigint NOT NULL DEFAULT 0,
                seeded          bigint NOT NULL DEFAULT 0,
                created_at      timestamptz NOT NULL DEFAULT now(),
                updated_at      timestamptz NOT NULL DEFAULT now(),
                finished_at     timestamptz,
                UNIQUE (pipeline, name)
            );

            CREATE TABLE baton.items (
                id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id       bigint NOT NULL REFERENCES baton.runs (id) ON DELETE CASCADE,
                stage        text NOT NULL,
                key          text NOT NULL,
                payload      jsonb NOT NULL,
                state        text NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped', 'cancelled')),
                attempt      integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                available_at timestamptz NOT NULL DEFAULT now(),
                lease_token  uuid,
                leased_until timestamptz,
                leased_by    text,
                parent_id    bigint,
                last_error   text,
                error_class  text,
                stage_hash   text,
                created_at   timestamptz NOT NULL DEFAULT now(),
                claimed_at   timestamptz,
                finished_at  timestamptz,
                UNIQUE (run_id, stage, key)
            );
            -- The claim query's index: only claimable rows, in claim order.
            CREATE INDEX items_claimable ON baton.items (run_id, stage, available_at, id) WHERE state = 'pending';
            -- Rescue and heartbeats look at running rows only.
            CREATE INDEX items_running ON baton.items (leased_until) WHERE state = 'running';
            CREATE INDEX items_failed ON baton.items (run_id, stage) WHERE state = 'failed';
            CREATE INDEX items_parent ON baton.items (parent_id) WHERE parent_id IS NOT NULL;

            -- Every failed attempt, for `baton failures` and `baton explain`.
            CREATE TABLE baton.attempts (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                item_id     bigint NOT NULL REFERENCES baton.items (id) ON DELETE CASCADE,
                run_id      bigint NOT NULL,
                attempt     integer NOT NULL,
                worker      text,
                started_at  timestamptz,
                finished_at timestamptz NOT NULL DEFAULT now(),
                outcome     text NOT NULL,
                error_class text,
                error       text
            );
            CREATE INDEX attempts_item ON baton.attempts (item_id);
            CREATE INDEX attempts_run ON baton.attempts (run_id);

            -- Outputs of a last stage that does not write to the user's tables itself.
            CREATE TABLE baton.results (
                run_id     bigint NOT NULL REFERENCES baton.runs (id) ON DELETE CASCADE,
                key        text NOT NULL,
                stage      text NOT NULL,
                payload    jsonb NOT NULL,
                item_id    bigint,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (run_id, key)
            );

            -- Insert-only counters (no hot row shared by committing workers); summed on read.
            CREATE TABLE baton.counters (
                run_id  bigint NOT NULL REFERENCES baton.runs (id) ON DELETE CASCADE,
                stage   text NOT NULL,
                counter text NOT NULL,
                amount  bigint NOT NULL,
                at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX counters_run ON baton.counters (run_id, stage);

            -- Cross-run deduplication of source keys (source.dedupe).
            CREATE TABLE baton.dedupe (
                pipeline    text NOT NULL,
                key         text NOT NULL,
                run_id      bigint NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (pipeline, key)
            );
            """)
}
