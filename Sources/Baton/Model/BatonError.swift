/// A failure of Baton itself (not of an item): the database is unavailable, the pipeline
/// cannot run, the source is malformed. The `baton` command turns its ``category`` into an
/// exit code.
public struct BatonError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is (each has its own exit code in the `baton` command).
    public struct Category: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// Bad command-line usage.
        public static let usage = Category(name: "usage")
        /// Bad input data, e.g. a malformed source file.
        public static let data = Category(name: "data")
        /// Database or service unavailable.
        public static let unavailable = Category(name: "unavailable")
        /// Internal software error.
        public static let software = Category(name: "software")
        /// Temporary failure, safe to rerun.
        public static let temporary = Category(name: "temporary")
        /// Pipeline configuration error.
        public static let config = Category(name: "config")
        /// The category's name (`usage`, `data`, `unavailable`…).
        public var description: String { name }
    }

    /// What kind of failure it is.
    public var category: Category
    /// What went wrong, for people; never contains a password or an environment value.
    public var message: String

    /// A stage stopped the run: its service looks down (an http stage's `failure_budget` was
    /// used up). The run stays running and can be worked again once the service is back.
    public var isStageHalt = false

    /// A source record that cannot be enqueued (`on_error: fail`): malformed, or its key fails.
    /// Seeding in bulk removes its run for it (``Store/discardBulkRun(_:runID:)``).
    package var isBadRecord = false

    /// An error of `category`.
    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    /// The error of a run its stage halted (``isStageHalt``): exit 69, like any unavailable service.
    public static func stageHalt(_ message: String) -> BatonError {
        var error = BatonError(.unavailable, message)
        error.isStageHalt = true
        return error
    }

    /// A source record that cannot be enqueued, at `location` (`FILE:LINE`): exit 65.
    package static func badRecord(at location: String, _ problem: String) -> BatonError {
        var error = BatonError(.data, "\(location): \(problem)")
        error.isBadRecord = true
        return error
    }

    /// The message.
    public var description: String { message }
}
