extension Migrations {
    /// Migration 7: counts of fused stages (``Stage/runsInline``). A fused stage's items are
    /// transformed inside the commit of the stage before them and not stored; each such commit
    /// adds one `done` batch of the fused stage holding only counts, with the stored item each
    /// member came from (`fused_heads`, one entry per member, and `fused_skipped` for the
    /// members that were filtered out), so a replay of those items can take their members out
    /// of the counts.
    static let fused = Migration(version: 7, name: "fused stages", sql: """
        ALTER TABLE baton.batches
            ADD COLUMN fused_heads   bigint[],
            ADD COLUMN fused_skipped bigint[];
        """)
}
