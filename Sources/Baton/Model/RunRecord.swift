public import Foundation

/// A run of a pipeline (a row of `baton.runs`).
public struct RunRecord: Sendable, Hashable {
    /// Where a run is.
    public enum State: String, Sendable {
        /// Items are pending or running (or a process stopped before the end: resume it).
        case running
        /// Every item done or skipped.
        case succeeded
        /// Finished with failed items (`baton failures`, `baton replay`).
        case failed
        /// Cancelled; it cannot be resumed.
        case cancelled
    }
    /// The run's id.
    public var id: Int64
    /// The pipeline's name.
    public var pipeline: String
    /// The run's name (unique per pipeline).
    public var name: String
    /// Where the run is.
    public var state: State
    /// Whether the whole source has been seeded.
    public var seedDone: Bool
    package var seedPosition: Int64
    package var seedLine: Int64
    /// The source reader's own resume state (JSON text), nil for simple sources.
    package var seedState: String?
    /// Source items seeded so far.
    public var seeded: Int64
    package var definitionText: String?
    package var definitionHash: String
    /// The pipeline file the run was started from.
    public var file: String?
    /// When the run was created.
    public var createdAt: Date
    /// When it finished, if it has.
    public var finishedAt: Date?
    /// What the source resolved to when the run was created (nil for runs made before
    /// Baton stored it).
    package var source: SourceIdentity?
    /// Records in the source, when the pre-check counted them (file sources with `on_error: fail`).
    public var sourceTotal: Int64?
    /// The folder the run was started in: relative paths of the pipeline resolve from it on
    /// a resume or replay started elsewhere.
    public var workingDirectory: String?

    /// Seconds from the first seeded chunk to the last, once seeding is done.
    public var seedSeconds: Double?

    /// Seeded in bulk and not released yet (``Migrations/bulkSeed``): its items exist but
    /// cannot be seen or claimed until seeding ends.
    public var isSeedingInBulk = false

    /// Whether any chunk of the source has been seeded (the position moved on).
    package var hasSeedProgress: Bool { seedPosition != 0 || seedLine != 0 || seedState != nil }

    package var seedPositionRecord: SourcePosition { SourcePosition(offset: seedPosition, line: seedLine, state: seedState) }
}
