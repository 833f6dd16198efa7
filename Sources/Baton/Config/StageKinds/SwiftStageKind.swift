import Yams

/// `swift: NAME`: a transform written in Swift, registered under that name by the program
/// loading the pipeline (``SwiftStages``).
enum SwiftStageKind: StageKind {
    static let key = "swift"
    static let ownKeys: [String] = []
    static let example = "`swift: score` to run a Swift stage your program registers"

    static func decode(_ entry: MappingFields.Entry, of stage: MappingFields, by decoder: PipelineDecoder) -> DecodedStageKind? {
        let path = stage.path(key)
        guard let name = decoder.nonEmptyText(entry.value, path, what: "the name of a registered Swift stage") else { return nil }
        guard let transform = decoder.swiftStages[name] else {
            let registered = decoder.swiftStages.names
            let hint: String
            if registered.isEmpty {
                hint = "`swift:` stages are registered by a Swift program that loads the pipeline with PipelineLoader.load(path:swiftStages:); the baton command has none"
            } else if let suggestion = KeySuggester.suggestion(for: name, among: registered) {
                hint = "did you mean `\(suggestion)`? registered: \(registered.joined(separator: ", "))"
            } else {
                hint = "registered: \(registered.joined(separator: ", "))"
            }
            decoder.report(entry.value, path, "no Swift stage named \(decoder.shown(entry.value)) is registered", hint: hint)
            return nil
        }
        return DecodedStageKind(transform: RegisteredSwiftTransform(name: name, transform: transform))
    }
}
