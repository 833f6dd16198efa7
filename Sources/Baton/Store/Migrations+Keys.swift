extension Migrations {
    /// Migration 8: item keys compare byte by byte (`COLLATE "C"`). A key is an identifier,
    /// not text for people: the unique (run, stage, key) index needs no locale rules, which
    /// made every enqueue pay for `strcoll` (30 % of a COPY of 1 000 000 items under an
    /// `en-US` collation, 12 % under `C.UTF-8`), and an operating-system upgrade that changes
    /// the C library's collation can no longer corrupt that index. Keys sort in code-point
    /// order. The view `baton.items` depends on the column, so it is made again as it was
    /// (a copy of migration 2's text on purpose: a released migration never changes).
    /// The unique index is rebuilt for every run's table: on a large store this migration
    /// takes a while (it holds the item tables meanwhile).
    static let byteKeys = Migration(version: 8, name: "keys compared byte by byte", sql: """
        DROP VIEW baton.items;
        ALTER TABLE baton.item_rows ALTER COLUMN key TYPE text COLLATE "C";
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
