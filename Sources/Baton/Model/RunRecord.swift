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
    public var seeded: Int64
    public var definitionText: String?
    public var definitionHash: String
    public var file: String?
    public var createdAt: Date
    public var finishedAt: Date?
    /// Reader state beyond position and line, for sources that need it.
    package var seedState: String?
    /// Seconds from the first seeded chunk to the last, once seeding is done.
    public var seedSeconds: Double?
}
