/// `csv: PATH` with `delimiter:` and `types:`.
enum CSVSourceKind: SourceKind {
    static let key = "csv"
    static let ownKeys = ["delimiter", "types"]

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        let node = entry.value
        let file = decoder.existingFile(node, source.path("csv"), what: "the CSV file")
        var options = CSVOptions()
        var valid = true
        if let delimiterNode = source["delimiter"] {
            valid = false
            if let text = decoder.text(delimiterNode, source.path("delimiter"), what: "one character") {
                if text.count == 1, let character = text.first, character != "\"", !character.isNewline {
                    options.delimiter = character
                    valid = true
                } else {
                    decoder.report(delimiterNode, source.path("delimiter"),
                           "the delimiter must be one character (not a quote or a line break), found \(decoder.shown(delimiterNode))",
                           hint: "e.g. delimiter: \";\" (a tab: delimiter: \"\\t\")")
                }
            }
        }
        var typeKeys: [MappingFields.Entry] = []
        if let typesNode = source["types"] {
            if let entries = decoder.map(typesNode, source.path("types"), what: "column types (column: integer)") {
                typeKeys = entries
                for entry in entries {
                    if let type = decoder.choice(entry.value, FieldPath.child(source.path("types"), entry.key), CSVOptions.ColumnType.self) {
                        options.types[entry.key] = type
                    } else {
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }
        guard let file, valid else { return nil }
        let columns: [String]
        do {
            columns = try CSVReader(path: file, options: options).columns
        } catch {
            decoder.report(node, source.path("csv"), "cannot read the CSV header: \(error)", hint: "the first line of the file must name the columns")
            return nil
        }
        for entry in typeKeys where !columns.contains(entry.key) {
            decoder.report(entry.keyNode, FieldPath.child(source.path("types"), entry.key), "column `\(entry.key)` is not in the CSV header",
                   hint: (KeySuggester.suggestion(for: entry.key, among: columns).map { "did you mean `\($0)`? " } ?? "")
                       + "columns: \(columns.joined(separator: ", "))")
        }
        let origin = "the CSV file (columns of its header)"
        return DecodedSourceKind(definition: CSVSource(path: file, options: options), fields: KnownFields(names: columns, origin: origin))
    }
}
