extension Migrations {
    /// Migration 6: wake-ups for idle workers. Every statement that adds pending batches (a
    /// seed chunk, a commit enqueueing the next stage's items) sends one `pg_notify` on
    /// channel `baton_work` per run it touched, inside its own transaction: listeners hear of
    /// it when (and only if) it commits. Postgres folds identical notifications of one
    /// transaction into one. Workers that do not listen (poll only) are unaffected.
    static let notify = Migration(version: 6, name: "work notifications", sql: """
        CREATE FUNCTION baton.notify_work() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            r bigint;
        BEGIN
            FOR r IN SELECT DISTINCT run_id FROM added WHERE state = 'pending' LOOP
                PERFORM pg_notify('baton_work', r::text);
            END LOOP;
            RETURN NULL;
        END $$;
        CREATE TRIGGER batches_notify_work AFTER INSERT ON baton.batches
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION baton.notify_work();
        """)
}
