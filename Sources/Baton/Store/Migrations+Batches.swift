extension Migrations {
    /// Migration 2: batches as the unit of work, items in one table per run.
    ///
    /// A worker claims, leases and commits *batches*; an item row is written once (when it is
    /// enqueued) and touched again only when it fails, is filtered out, is retried or is
    /// replayed. Its state is its batch's state unless it has an outcome of its own. This
    /// replaces per-item `running`/`done` updates (two non-HOT updates of every row) by one
    /// update per batch, and keeps `baton.item_rows` at the size of the rows it holds.
    ///
    /// `baton.item_rows` is partitioned by run: a run's rows live in a table of their own,
    /// created and attached with the run (attaching takes no lock that blocks other runs),
    /// and dropped by `prune`. `baton.items` stays as a view with every column it had.
    ///
    /// An item's id is its first batch's id × 2²¹ + its position in that batch, so a batch's
    /// own items are one range of the primary key; items that moved to another batch (a retry,
    /// a replay) are listed in that batch's `item_ids`.
    static let batches = Migration(version: 2, name: "batches, items partitioned by run", sql: """
        CREATE SEQUENCE baton.batch_ids;

        CREATE TABLE baton.batches (
            id           bigint PRIMARY KEY DEFAULT nextval('baton.batch_ids'),
            run_id       bigint NOT NULL REFERENCES baton.runs (id) ON DELETE CASCADE,
            stage        text NOT NULL,
            state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'cancelled')),
            attempt      integer NOT NULL DEFAULT 0,
            max_attempts integer NOT NULL,
            available_at timestamptz NOT NULL DEFAULT now(),
            item_ids     bigint[],
            -- Members filtered out (their stage emitted nothing): kept here, not on each item.
            skipped_ids  bigint[],
            size         integer NOT NULL,
            done         integer NOT NULL DEFAULT 0,
            skipped      integer NOT NULL DEFAULT 0,
            failed       integer NOT NULL DEFAULT 0,
            lease_token  uuid,
            leased_until timestamptz,
            leased_by    text,
            stage_hash   text,
            parent_batch bigint,
            created_at   timestamptz NOT NULL DEFAULT now(),
            claimed_at   timestamptz,
            finished_at  timestamptz
        ) WITH (fillfactor = 70);
        ALTER SEQUENCE baton.batch_ids OWNED BY baton.batches.id;
        CREATE INDEX batches_claimable ON baton.batches (run_id, stage, available_at, id) WHERE state = 'pending';
        CREATE INDEX batches_running ON baton.batches (leased_until) WHERE state = 'running';
        CREATE INDEX batches_run ON baton.batches (run_id, stage);

        CREATE TABLE baton.item_rows (
            run_id      bigint NOT NULL,
            id          bigint NOT NULL,
            stage       text NOT NULL,
            key         text NOT NULL,
            payload     text NOT NULL,
            batch_id    bigint NOT NULL,
            parent_id   bigint,
            outcome     text CHECK (outcome IN ('skipped', 'failed')),
            error       text,
            error_class text,
            PRIMARY KEY (run_id, id),
            UNIQUE (run_id, stage, key)
        ) PARTITION BY LIST (run_id);

        ALTER TABLE baton.runs ADD COLUMN seed_state text;
        ALTER TABLE baton.runs ADD COLUMN seed_started_at timestamptz;
        ALTER TABLE baton.runs ADD COLUMN seed_finished_at timestamptz;

        -- The fence of every commit: marks the batches done with their counts, only if they are
        -- still running under the committing worker's lease token; otherwise the lease was lost
        -- and the whole transaction (sent in one pipeline) is rolled back by this error.
        CREATE FUNCTION baton.finish_batches(p_ids bigint[], p_token uuid, p_hash text, p_size int[],
                                             p_done int[], p_skipped int[], p_failed int[],
                                             p_skipped_batches bigint[], p_skipped_items bigint[]) RETURNS void
        LANGUAGE plpgsql AS $fn$
        DECLARE n integer;
        BEGIN
            UPDATE baton.batches b
            SET state = 'done', finished_at = now(), lease_token = NULL, leased_until = NULL, stage_hash = p_hash,
                size = u.size, done = u.done, skipped = u.skipped, failed = u.failed,
                skipped_ids = CASE WHEN u.skipped > 0 THEN
                    (SELECT array_agg(s.item) FROM unnest(p_skipped_batches, p_skipped_items) AS s(batch, item) WHERE s.batch = b.id)
                END
            FROM unnest(p_ids, p_size, p_done, p_skipped, p_failed) AS u(id, size, done, skipped, failed)
            WHERE b.id = u.id AND b.state = 'running' AND b.lease_token = p_token;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n <> cardinality(p_ids) THEN
                RAISE EXCEPTION 'lease lost: another worker has (some of) these items' USING ERRCODE = 'BT001';
            END IF;
        END
        $fn$;

        -- Takes the row locks of batches still held under a token, or fails like finish_batches.
        CREATE FUNCTION baton.hold_batches(p_ids bigint[], p_token uuid) RETURNS void
        LANGUAGE plpgsql AS $fn$
        DECLARE n integer;
        BEGIN
            PERFORM 1 FROM baton.batches WHERE id = ANY (p_ids) AND state = 'running' AND lease_token = p_token FOR UPDATE;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n <> cardinality(p_ids) THEN
                RAISE EXCEPTION 'lease lost: another worker has (some of) these items' USING ERRCODE = 'BT001';
            END IF;
        END
        $fn$;

        -- Creates a run's item table and attaches it (ATTACH takes no lock that blocks the
        -- other runs' readers and writers, unlike CREATE TABLE … PARTITION OF).
        CREATE FUNCTION baton.add_run_partition(p_run bigint) RETURNS void
        LANGUAGE plpgsql AS $fn$
        DECLARE t text := format('baton.item_rows_%s', p_run);
        BEGIN
            IF to_regclass(t) IS NOT NULL THEN RETURN; END IF;
            EXECUTE format('CREATE TABLE %s (LIKE baton.item_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 90)', t);
            EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (run_id, id), ADD UNIQUE (run_id, stage, key), ADD CHECK (run_id = %s)', t, p_run);
            EXECUTE format('ALTER TABLE baton.item_rows ATTACH PARTITION %s FOR VALUES IN (%s)', t, p_run);
        END
        $fn$;

        -- Existing items: each becomes a batch of one (running ones are pending again).
        CREATE TEMP TABLE baton_moved ON COMMIT DROP AS
            SELECT id AS old_id, nextval('baton.batch_ids') AS batch FROM baton.items;
        SELECT baton.add_run_partition(id) FROM baton.runs;
        INSERT INTO baton.batches (id, run_id, stage, state, attempt, max_attempts, available_at, size, done, skipped, failed,
                                   stage_hash, created_at, claimed_at, finished_at)
        SELECT m.batch, i.run_id, i.stage,
               CASE i.state WHEN 'running' THEN 'pending' WHEN 'failed' THEN 'done' WHEN 'skipped' THEN 'done' ELSE i.state END,
               CASE WHEN i.state = 'running' THEN greatest(i.attempt - 1, 0) ELSE i.attempt END,
               i.max_attempts, i.available_at, 1,
               (i.state = 'done')::int, (i.state = 'skipped')::int, (i.state = 'failed')::int,
               i.stage_hash, i.created_at, i.claimed_at, i.finished_at
        FROM baton.items i JOIN baton_moved m ON m.old_id = i.id;
        INSERT INTO baton.item_rows (run_id, id, stage, key, payload, batch_id, parent_id, outcome, error, error_class)
        SELECT i.run_id, m.batch << 21, i.stage, i.key, i.payload::text, m.batch, p.batch << 21,
               CASE WHEN i.state IN ('failed', 'skipped') THEN i.state END, i.last_error, i.error_class
        FROM baton.items i JOIN baton_moved m ON m.old_id = i.id LEFT JOIN baton_moved p ON p.old_id = i.parent_id;
        ALTER TABLE baton.attempts DROP CONSTRAINT IF EXISTS attempts_item_id_fkey;
        UPDATE baton.attempts a SET item_id = m.batch << 21 FROM baton_moved m WHERE a.item_id = m.old_id;
        UPDATE baton.results r SET item_id = m.batch << 21 FROM baton_moved m WHERE r.item_id = m.old_id;
        ALTER TABLE baton.attempts ADD FOREIGN KEY (run_id) REFERENCES baton.runs (id) ON DELETE CASCADE;
        DROP TABLE baton.items;

        -- Every item with its effective state, as the old table had it.
        CREATE VIEW baton.items AS
        SELECT i.id, i.run_id, i.stage, i.key, i.payload::jsonb AS payload,
               CASE WHEN i.outcome IS NOT NULL THEN i.outcome
                    WHEN b.skipped > 0 AND i.id = ANY (b.skipped_ids) THEN 'skipped'
                    ELSE b.state END AS state,
               b.attempt, b.max_attempts, b.available_at, b.lease_token, b.leased_until, b.leased_by,
               i.parent_id, i.error AS last_error, i.error_class, b.stage_hash, b.created_at, b.claimed_at,
               CASE WHEN b.state IN ('done', 'cancelled') THEN b.finished_at END AS finished_at,
               i.batch_id
        FROM baton.item_rows i JOIN baton.batches b ON b.id = i.batch_id;
        """)
}
