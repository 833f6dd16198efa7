import Yams

/// A pipeline file parsed into a YAML node tree, with positions as the user sees them.
///
/// Yams refuses a mapping with a duplicate key and stops there. To still report every problem
/// of the file at once, each later occurrence of a duplicate key is renamed to a marker
/// (``duplicateMarkerPrefix``) and the text parsed again; the decoder reports the markers as
/// duplicate keys and ignores their values. Column shifts caused by the renaming are undone
/// in ``position(of:)``.
struct YAMLDocument {
    /// A later occurrence of a key already present in the same mapping.
    struct DuplicateKey {
        var name: String
        /// Where the first occurrence is.
        var first: Position
    }

    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    /// A YAML syntax error: the file cannot be read as YAML at all.
    struct SyntaxError: Error {
        var position: Position
        var message: String
        var hint: String
    }

    /// A renaming done to get past a duplicate key, in the coordinates of the text it was made in.
    private struct Edit {
        var line: Int
        var column: Int
        var delta: Int
    }

    static let duplicateMarkerPrefix = "__baton_duplicate_key_"

    /// The root node; nil for an empty file.
    let root: Node?
    /// Duplicate-key markers → the key they replace.
    let duplicates: [String: DuplicateKey]
    private let edits: [Edit]

    /// Parses `text` (YAML, or JSON, which is YAML); throws ``SyntaxError``.
    init(parsing original: String) throws(SyntaxError) {
        var text = original
        var edits: [Edit] = []
        var duplicates: [String: DuplicateKey] = [:]
        while true {
            do {
                root = try Yams.compose(yaml: text, Resolver.basic)
                break
            } catch YamlError.duplicatedKeysInMapping(let names, let context) {
                let first = Position(line: context.mark.line, column: context.mark.column)
                guard duplicates.count < 500, let name = names.first,
                      let later = DuplicateKeyLocator.laterOccurrence(of: name, after: first, in: text) else {
                    let position = YAMLDocument.unshift(first, edits)
                    throw SyntaxError(
                        position: position,
                        message: "duplicate key `\(names.joined(separator: "`, `"))` in this mapping",
                        hint: "each key may appear once per mapping; remove the repeated one"
                    )
                }
                let marker = "\(YAMLDocument.duplicateMarkerPrefix)\(duplicates.count)"
                text = DuplicateKeyLocator.replace(later, with: marker, in: text)
                duplicates[marker] = DuplicateKey(name: name, first: YAMLDocument.unshift(first, edits))
                edits.append(Edit(line: later.line, column: later.column, delta: marker.unicodeScalars.count - later.length))
            } catch let error as YamlError {
                throw YAMLDocument.syntaxError(error, edits: edits)
            } catch {
                throw SyntaxError(position: Position(line: 1, column: 1), message: "cannot parse the file: \(error)",
                                  hint: "check that the file is UTF-8 YAML or JSON")
            }
        }
        self.duplicates = duplicates
        self.edits = edits
    }

    /// Where `node` starts, 1-based, in the text as written.
    func position(of node: Node) -> Position? {
        node.mark.map { YAMLDocument.unshift(Position(line: $0.line, column: $0.column), edits) }
    }

    /// The position in the original text of `position` in the renamed text.
    private static func unshift(_ position: Position, _ edits: [Edit]) -> Position {
        var result = position
        for edit in edits.reversed() where edit.line == result.line && edit.column < result.column {
            result.column -= edit.delta
        }
        return result
    }

    private static func syntaxError(_ error: YamlError, edits: [Edit]) -> SyntaxError {
        let hint = "check the indentation (spaces, not tabs) and quote values containing `: `, ` #` or starting with {, [, *, &, !, %, @ or `"
        func make(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> SyntaxError {
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(unshift(Position(line: context.mark.line, column: context.mark.column), edits).line))"
            }
            return SyntaxError(position: unshift(Position(line: mark.line, column: mark.column), edits), message: message, hint: hint)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return make(problem, context, mark)
        case .reader(let problem, let offset, _, let yaml):
            var position = Position(line: 1, column: 1)
            if let offset {
                let prefix = yaml.prefix(offset)
                position.line = prefix.filter { $0 == "\n" }.count + 1
                position.column = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count + 1 } ?? 1
            }
            return SyntaxError(position: position, message: "invalid YAML: \(problem)", hint: "the file must be UTF-8 text")
        default:
            return SyntaxError(position: Position(line: 1, column: 1), message: "invalid YAML: \(error)", hint: hint)
        }
    }
}
