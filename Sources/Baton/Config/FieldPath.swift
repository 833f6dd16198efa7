/// Field paths in messages: `source.csv`, `stages[1].http.url` (0-based indexes).
enum FieldPath {
    static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    static func element(_ path: String, _ index: Int) -> String { "\(path)[\(index)]" }
}
