import BatonJQ
import Yams

/// A canonical text of a YAML node, for definition hashes: the same for the same content
/// however it is laid out (indentation, quoting style, comments, flow or block, key order).
/// Values are as written: `${VAR}` references are not expanded, so a changed secret does not
/// change a stage's hash.
enum CanonicalYAML {
    static func text(of node: Node) -> String {
        var out = ""
        write(node, to: &out)
        return out
    }

    private static func write(_ node: Node, to out: inout String) {
        switch node {
        case .scalar(let scalar):
            let kind = scalar.style == .plain ? ScalarKind(plain: scalar.string) : .string
            switch kind {
            case .null: out += "null"
            case .bool(let flag): out += flag ? "true" : "false"
            case .int(let value): out += String(value)
            case .float(let value): out += "\(value)"
            case .string: out += quoted(scalar.string)
            }
        case .sequence(let sequence):
            out += "["
            for (index, element) in sequence.enumerated() {
                if index > 0 { out += "," }
                write(element, to: &out)
            }
            out += "]"
        case .mapping(let mapping):
            let members = mapping.map { pair in (text(of: pair.key), text(of: pair.value)) }.sorted { $0.0 < $1.0 }
            out += "{" + members.map { "\($0.0):\($0.1)" }.joined(separator: ",") + "}"
        case .alias:
            out += "*"
        }
    }

    private static func quoted(_ text: String) -> String {
        JSON.string(text).serialized
    }
}
