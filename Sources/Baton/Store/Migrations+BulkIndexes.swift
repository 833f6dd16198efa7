extension Migrations {
    /// Migration 12: the release of a run seeded in bulk (``Migrations/bulkSeed``) no longer
    /// builds its indexes and its batches from scratch. On 1 000 000 items it took 2.0 s: the
    /// two index builds 0.65 s each, one after the other, and the batches, grouped from every
    /// row, 0.3–0.5 s.
    ///
    /// * The seeder builds the two indexes before the last chunk, each on a connection of its
    ///   own (`baton.build_bulk_index`): 1.1–1.4 s for both. The release adds their constraints
    ///   with the indexes already there (`baton.add_bulk_constraint`). Each build commits on
    ///   its own: a crash leaves it in place (the run's table is still alone, nothing of it
    ///   visible), and the release adopts it. A key seeded twice makes the unique build fail;
    ///   nothing is built, and the release drops the later records first, as before.
    /// * Each chunk writes its batches, as the seeder made them, to `baton.bulk_batches` in its
    ///   own transaction. The release makes them the run's batches if they account for every
    ///   row of its table (`count(*)`, 0.06–0.09 s) and no duplicate was dropped; otherwise
    ///   (chunks an older baton wrote, keys seeded twice) it groups the rows as before.
    ///
    /// The release function is made again from its own text, those steps replaced (a released
    /// migration never changes).
    static let bulkIndexes = Migration(version: 12, name: "bulk indexes built side by side, bulk batches kept", sql: """
        CREATE TABLE baton.bulk_batches (
            run_id bigint NOT NULL REFERENCES baton.runs (id) ON DELETE CASCADE,
            id     bigint NOT NULL,
            stage  text NOT NULL,
            size   integer NOT NULL,
            failed integer NOT NULL
        );

        -- A released run's batches from what its chunks wrote; false (nothing added) unless they
        -- cover every row of its table and no duplicate was dropped.
        CREATE FUNCTION baton.add_kept_bulk_batches(p_run bigint, p_table text, p_attempts integer, p_dropped bigint) RETURNS boolean
        LANGUAGE plpgsql AS $fn$
        DECLARE
            kept bigint;
            present bigint;
        BEGIN
            IF p_dropped > 0 THEN RETURN false; END IF;
            SELECT coalesce(sum(size), 0) INTO kept FROM baton.bulk_batches WHERE run_id = p_run;
            EXECUTE format('SELECT count(*) FROM %s', p_table) INTO present;
            IF kept = 0 OR kept <> present THEN RETURN false; END IF;
            INSERT INTO baton.batches (id, run_id, stage, max_attempts, size, failed, state, finished_at)
            SELECT id, p_run, stage, p_attempts, size, failed, CASE WHEN failed = size THEN 'done' ELSE 'pending' END,
                   CASE WHEN failed = size THEN now() END
            FROM baton.bulk_batches WHERE run_id = p_run ORDER BY id;
            RETURN true;
        END
        $fn$;

        -- One of the two indexes of a run still seeded in bulk, under the name its constraint
        -- gets. False (nothing built) if the run is not seeded in bulk, or a key is there twice.
        CREATE FUNCTION baton.build_bulk_index(p_run bigint, p_unique boolean) RETURNS boolean
        LANGUAGE plpgsql AS $fn$
        DECLARE t text := format('baton.item_rows_%s', p_run);
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM baton.runs WHERE id = p_run AND bulk_max_attempts IS NOT NULL) OR to_regclass(t) IS NULL THEN
                RETURN false;
            END IF;
            IF NOT p_unique THEN
                EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (run_id, id)', format('item_rows_%s_pkey', p_run), t);
                RETURN true;
            END IF;
            BEGIN
                EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (key, stage, run_id)',
                               format('item_rows_%s_key_stage_run_id_key', p_run), t);
            EXCEPTION WHEN unique_violation THEN
                RETURN false;
            END;
            RETURN true;
        END
        $fn$;

        -- Adds a constraint to a run's table (`UNIQUE (…)`, `PRIMARY KEY (…)`): with the index
        -- of that name if it is there, else building it.
        CREATE FUNCTION baton.add_bulk_constraint(p_table text, p_index text, p_constraint text) RETURNS void
        LANGUAGE plpgsql AS $fn$
        BEGIN
            IF to_regclass('baton.' || quote_ident(p_index)) IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s USING INDEX %I', p_table, p_index, split_part(p_constraint, ' (', 1), p_index);
            ELSE
                EXECUTE format('ALTER TABLE %s ADD %s', p_table, p_constraint);
            END IF;
        END
        $fn$;

        DO $do$
        DECLARE
            body text;
            unique_build text := $q$EXECUTE format('ALTER TABLE %s ADD UNIQUE (key, stage, run_id)', t);$q$;
            primary_build text := $q$EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (run_id, id)', t);$q$;
            batches_start text := $m$EXECUTE format($q$
                INSERT INTO baton.batches$m$;
            batches_end text := $m$$q$, t, p_run, attempts);$m$;
        BEGIN
            SELECT p.prosrc INTO STRICT body FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'baton' AND p.proname = 'release_bulk_seed';
            IF (length(body) - length(replace(body, unique_build, ''))) / length(unique_build) <> 2
               OR (length(body) - length(replace(body, primary_build, ''))) / length(primary_build) <> 1
               OR (length(body) - length(replace(body, batches_start, ''))) / length(batches_start) <> 1
               OR (length(body) - length(replace(body, batches_end, ''))) / length(batches_end) <> 1 THEN
                RAISE EXCEPTION 'baton.release_bulk_seed does not build the indexes and batches this migration expects';
            END IF;
            body := replace(body, batches_start, 'IF NOT baton.add_kept_bulk_batches(p_run, t, attempts, dropped) THEN ' || batches_start);
            body := replace(body, batches_end, batches_end || ' END IF; DELETE FROM baton.bulk_batches WHERE run_id = p_run;');
            body := replace(body, unique_build,
                $q$PERFORM baton.add_bulk_constraint(t, format('item_rows_%s_key_stage_run_id_key', p_run), 'UNIQUE (key, stage, run_id)');$q$);
            body := replace(body, primary_build,
                $q$PERFORM baton.add_bulk_constraint(t, format('item_rows_%s_pkey', p_run), 'PRIMARY KEY (run_id, id)');$q$);
            EXECUTE format('CREATE OR REPLACE FUNCTION baton.release_bulk_seed(p_run bigint) RETURNS bigint LANGUAGE plpgsql AS %L', body);
        END
        $do$;
        """)
}
