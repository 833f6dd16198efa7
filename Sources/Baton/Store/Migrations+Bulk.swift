extension Migrations {
    /// Migration 9: seeding in bulk (`baton run --seed-only` of a file source). Row by row, a
    /// run's two indexes cost more than the rows: a COPY of 1 000 000 items into an indexed
    /// table took 10.8 s on the bench's durable cluster, the same COPY into a table without
    /// indexes 3.1 s, and building both indexes afterwards 2.6 s.
    ///
    /// A run created to be seeded in bulk gets its item table *alone*: no index, not attached
    /// under `baton.item_rows`, and its chunks add no batches, so nothing of it can be claimed
    /// or seen while it is seeded (a crash leaves only that table, and the run resumes where
    /// its position says, in bulk again). The transaction of its last chunk (or a cancel) calls
    /// `baton.release_bulk_seed`: records whose key an earlier chunk already had are dropped
    /// (the earliest kept, as row-by-row seeding keeps it) and counted as `deduplicated`, the
    /// two indexes are built, the table is attached, and the first stage's batches are added
    /// from its rows. `bulk_max_attempts` is set while the run is seeded in bulk (the first
    /// stage's attempts, for those batches), NULL otherwise.
    static let bulkSeed = Migration(version: 9, name: "seeding in bulk", sql: """
        ALTER TABLE baton.runs ADD COLUMN bulk_max_attempts integer;

        CREATE FUNCTION baton.add_bulk_run_table(p_run bigint) RETURNS void
        LANGUAGE plpgsql AS $fn$
        DECLARE t text := format('baton.item_rows_%s', p_run);
        BEGIN
            IF to_regclass(t) IS NOT NULL THEN RETURN; END IF;
            EXECUTE format('CREATE TABLE %s (LIKE baton.item_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 90)', t);
            EXECUTE format('ALTER TABLE %s ADD CHECK (run_id = %s)', t, p_run);
        END
        $fn$;

        -- The caller holds the run's row (every seeding transaction takes it first). Returns the
        -- number of duplicate records dropped; 0 and nothing done if the run is not in bulk.
        CREATE FUNCTION baton.release_bulk_seed(p_run bigint) RETURNS bigint
        LANGUAGE plpgsql AS $fn$
        DECLARE
            t text := format('baton.item_rows_%s', p_run);
            attempts integer;
            dropped bigint := 0;
        BEGIN
            SELECT bulk_max_attempts INTO attempts FROM baton.runs WHERE id = p_run;
            IF attempts IS NULL THEN RETURN 0; END IF;
            BEGIN
                EXECUTE format('ALTER TABLE %s ADD UNIQUE (run_id, stage, key)', t);
            EXCEPTION WHEN unique_violation THEN
                EXECUTE format($q$
                    WITH gone AS (
                        DELETE FROM %1$s WHERE id IN (
                            SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY stage, key ORDER BY id) AS n FROM %1$s) r
                            WHERE n > 1)
                        RETURNING stage)
                    SELECT count(*) FROM gone
                    $q$, t) INTO dropped;
                EXECUTE format('ALTER TABLE %s ADD UNIQUE (run_id, stage, key)', t);
            END;
            EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (run_id, id)', t);
            EXECUTE format('ALTER TABLE baton.item_rows ATTACH PARTITION %s FOR VALUES IN (%s)', t, p_run);
            EXECUTE format($q$
                INSERT INTO baton.batches (id, run_id, stage, max_attempts, size, failed, state, finished_at)
                SELECT batch_id, %2$s, min(stage), %3$s, count(*), count(*) FILTER (WHERE outcome = 'failed'),
                       CASE WHEN count(*) FILTER (WHERE outcome = 'failed') = count(*) THEN 'done' ELSE 'pending' END,
                       CASE WHEN count(*) FILTER (WHERE outcome = 'failed') = count(*) THEN now() END
                FROM %1$s GROUP BY batch_id ORDER BY batch_id
                $q$, t, p_run, attempts);
            -- The seeding span ends now, not when the last chunk's transaction began.
            UPDATE baton.runs SET bulk_max_attempts = NULL, seeded = seeded - dropped,
                   seed_finished_at = CASE WHEN seed_finished_at IS NOT NULL THEN clock_timestamp() END
            WHERE id = p_run;
            IF dropped > 0 THEN
                EXECUTE format($q$
                    INSERT INTO baton.counters (run_id, stage, counter, amount)
                    SELECT %1$s, stage, 'deduplicated', %2$s FROM %3$s LIMIT 1
                    $q$, p_run, dropped, t);
            END IF;
            RETURN dropped;
        END
        $fn$;
        """)
}
