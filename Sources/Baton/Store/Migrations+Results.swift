extension Migrations {
    /// Migration 11: `baton.results` has no foreign key to `baton.runs`; a trigger deletes a
    /// run's results when the run is deleted. The key checked every result row as it was
    /// written (a `FOR KEY SHARE` lock of the run's row per row, a shared lock that four
    /// committing workers turned into a multixact): 7.6 % of the machine's CPU in an http
    /// stage of 100 000 items against nginx (6.79 against 7.35 core-seconds, five runs each).
    ///
    /// Nothing can write a result for a run that is gone: every commit that writes results
    /// first fences its batches (`baton.finish_batches` or `baton.hold_batches` lock them), and
    /// those rows are deleted with the run (their own key cascades). A commit that fenced first
    /// makes the run's deletion wait for it; the trigger, named to fire after the cascades
    /// (`RI_ConstraintTrigger…` sort before it), then sees and deletes what it wrote. A commit
    /// that comes second finds its batches gone, and rolls back.
    static let resultsWithoutKey = Migration(version: 11, name: "results deleted with their run by a trigger", sql: """
        ALTER TABLE baton.results DROP CONSTRAINT IF EXISTS results_run_id_fkey;

        CREATE FUNCTION baton.delete_run_results() RETURNS trigger
        LANGUAGE plpgsql AS $fn$
        BEGIN
            DELETE FROM baton.results WHERE run_id = OLD.id;
            RETURN NULL;
        END
        $fn$;
        CREATE TRIGGER zz_delete_run_results AFTER DELETE ON baton.runs
            FOR EACH ROW EXECUTE FUNCTION baton.delete_run_results();
        """)
}
