import Yams

/// `incremental: { cursor: .updated_at, initial: "2026-01-01T00:00:00Z", lookback: 1h }`.
extension PipelineDecoder {
    func decodeIncremental(_ node: Node, _ path: String) -> IncrementalSpec? {
        guard let fields = fields(node, path, allowed: PipelineKeys.incremental,
                                  what: "a mapping like { cursor: .updated_at, initial: \"2026-01-01T00:00:00Z\" }") else { return nil }
        let before = errors.count
        var cursor: String?
        if let cursorNode = fields["cursor"] {
            if let program = nonEmptyText(cursorNode, fields.path("cursor"), what: "a jq expression", interpolate: false),
               compileJQ(program, cursorNode, fields.path("cursor"), what: "the cursor expression") {
                cursor = program
            }
        } else {
            report(node, fields.path("cursor"), "missing required key `cursor`",
                   hint: "a jq expression giving each record's cursor value, e.g. cursor: .updated_at")
        }
        var initial: (value: String, kind: CursorKind)?
        if let initialNode = fields["initial"] {
            if let value = scalar(initialNode, fields.path("initial"), expected: "the first run's cursor (a timestamp, a number or text)") {
                let isNumber = switch value.kind {
                case .int, .float: true
                default: false
                }
                let kind = CursorValue.kind(ofInitial: value.text, isNumber: isNumber)
                if value.kind == .null || value.text.isEmpty {
                    report(initialNode, fields.path("initial"), "expected the first run's cursor, found \(shown(initialNode))",
                           hint: "e.g. initial: \"2026-01-01T00:00:00Z\" or initial: 0")
                } else if let canonical = CursorValue.canonical(value.text, kind: kind) {
                    initial = (canonical, kind)
                }
            }
        } else {
            report(node, fields.path("initial"), "missing required key `initial`",
                   hint: "the cursor of the first run (and after `baton cursor reset`), e.g. initial: \"2026-01-01T00:00:00Z\" or initial: 0")
        }
        var lookback: IncrementalSpec.Lookback?
        if let lookbackNode = fields["lookback"], let initial {
            switch initial.kind {
            case .timestamp:
                lookback = duration(lookbackNode, fields.path("lookback"), allowZero: true).map(IncrementalSpec.Lookback.duration)
            case .number:
                lookback = number(lookbackNode, fields.path("lookback"), range: 0...1e15).map(IncrementalSpec.Lookback.amount)
            case .text:
                report(lookbackNode, fields.path("lookback"), "a text cursor has no lookback (only timestamps and numbers do)",
                       hint: "`initial` decides the kind: write a timestamp (\"2026-01-01T00:00:00Z\") or a number, or remove `lookback`")
            }
        }
        guard errors.count == before, let cursor, let initial else { return nil }
        return IncrementalSpec(cursor: cursor, initial: initial.value, kind: initial.kind, lookback: lookback)
    }
}
