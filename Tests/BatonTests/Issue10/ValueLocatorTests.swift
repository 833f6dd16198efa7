@testable import Baton
import Testing

/// Every character of a scalar's value is placed at its line and column in the file, for
/// the common scalar styles (issue 10, point 3): pure, no database.
@Suite("Positions inside YAML values")
struct ValueLocatorTests {
    /// Where `needle` of the `sql:` value in `yaml` is, as line:column.
    static func position(of needle: String, in yaml: String) throws -> String {
        let pipeline = try PipelineLoader.load(text: yaml, file: "p.yaml", environment: [:])
        let sql = try #require(pipeline.stages.last?.transform as? SQLTransform)
        let location = try #require(sql.location)
        #expect(location.scalars != nil, "exact positions for \(yaml)")
        let value = Array(sql.statement.unicodeScalars)
        let target = Array(needle.unicodeScalars)
        let offset = try #require((0...(value.count - target.count)).first { Array(value[$0..<($0 + target.count)]) == target })
        let position = location.position(ofScalar: offset)
        return "\(position.line):\(position.column)"
    }

    static let head = "pipeline: p\nsource: { items: [{id: 1}], key: .id }\nstages:\n  - name: load\n"

    @Test(arguments: [
        ("    sql: >\n      insert into t (id)\n      values (:id)\n      returning bogus\n", "bogus", "8:17"),
        ("    sql: >\n      insert into t (id)\n\n      values (:id)\n", "values", "8:7"),
        ("    sql: |\n      insert into t (id)\n        values (:id)\n", "values", "7:9"),
        ("    sql: insert into t (id)\n      values (:id)\n", "values", "6:7"),
        ("    sql: \"insert\\tinto t\\n  (id) values (:id)\"\n", "(id)", "5:29"),
        ("    sql: 'insert into ''t'' (id) values (:id)'\n", "(id)", "5:29"),
        ("    sql: \"insert into \\u00e9t (id) values (:id)\"\n", "(id)", "5:31"),
    ])
    func mapsEveryStyle(yaml: String, needle: String, expected: String) throws {
        #expect(try Self.position(of: needle, in: Self.head + yaml) == expected, "\(yaml)")
    }
}
