/// A stage written in Swift as a closure from item to outputs.
///
/// ```swift
/// let shout = SwiftTransform { item in
///     var person = try item.decode(Person.self)
///     person.name = person.name.uppercased()
///     return try .items([person])
/// }
/// ```
public struct SwiftTransform: StageTransform {
    private let body: @Sendable (StageInput) async throws -> StageOutput
    private let version: String

    /// `version` goes into the stage hash: change it when the closure's behaviour changes
    /// (`baton status` then counts items done by the older version).
    public init(version: String = "1", _ body: @escaping @Sendable (StageInput) async throws -> StageOutput) {
        self.body = body
        self.version = version
    }

    /// Runs the closure.
    public func process(_ item: StageInput) async throws -> StageOutput { try await body(item) }

    /// `swift:VERSION`.
    public var fingerprint: String { "swift:\(version)" }
}
