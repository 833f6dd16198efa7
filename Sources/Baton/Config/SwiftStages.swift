/// Transforms written in Swift, by name, for pipeline files to use with `swift: NAME`.
///
/// ```swift
/// var stages = SwiftStages()
/// stages.register("score") { item in
///     let order = try item.decode(Order.self)
///     return try .items([Scored(id: order.id, score: order.total > 100 ? 2 : 1)])
/// }
/// let pipeline = try PipelineLoader.load(path: "pipelines/orders.yaml", swiftStages: stages)
/// ```
///
/// ```yaml
/// stages:
///   - name: score
///     swift: score
/// ```
public struct SwiftStages: Sendable {
    private var transforms: [String: any StageTransform] = [:]

    /// No stages.
    public init() {}

    /// Registers `transform` as `name` (letters, digits, `_`, `-`), replacing an earlier one.
    public mutating func register(_ name: String, _ transform: any StageTransform) {
        transforms[name] = transform
    }

    /// Registers a closure as `name`; `version` goes into the stage hash (see
    /// ``SwiftTransform/init(version:_:)``).
    public mutating func register(
        _ name: String, version: String = "1", _ body: @escaping @Sendable (StageInput) async throws -> StageOutput
    ) {
        transforms[name] = SwiftTransform(version: version, body)
    }

    /// The registered names, sorted.
    public var names: [String] { transforms.keys.sorted() }

    /// The transform registered as `name`.
    public subscript(name: String) -> (any StageTransform)? { transforms[name] }
}
