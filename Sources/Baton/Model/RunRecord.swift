public import Foundation

/// A row of `baton.runs`.
public struct RunRecord: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case running, succeeded, failed, cancelled
    }
    public var id: Int64
    public var pipeline: String
    public var name: String
    public var state: State
    public var seedDone: Bool
    public var seedPosition: Int64
    public var seedLine: Int64
    /// The source reader's own resume state (JSON text), nil for simple sources.
    public var seedState: String?
    public var seeded: Int64
    public var definitionText: String?
    public var definitionHash: String
    public var file: String?
    public var createdAt: Date
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

    /// Whether any chunk of the source has been seeded (the position moved on).
    package var hasSeedProgress: Bool { seedPosition != 0 || seedLine != 0 || seedState != nil }

    package var seedPositionRecord: SourcePosition { SourcePosition(offset: seedPosition, line: seedLine, state: seedState) }
}
