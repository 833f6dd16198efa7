import Foundation

/// `csv: PATH` (or a glob or folder of CSV files) with `delimiter:` and `types:`.
enum CSVSourceKind: SourceKind {
    static let key = "csv"
    static let ownKeys = ["delimiter", "types"]

    static func decode(_ entry: MappingFields.Entry, of source: MappingFields, by decoder: PipelineDecoder) -> DecodedSourceKind? {
        let node = entry.value
        let target = decoder.fileTarget(node, source.path("csv"), what: "the CSV file")
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
        guard let target, valid else { return nil }
        let definition: any SourceDefinition
        let file: String
        switch target {
        case .file(let path):
            definition = CSVSource(path: path, options: options)
            // Only when the file may be missing (`baton test`): no header to check against.
            guard FileManager.default.fileExists(atPath: path) else { return DecodedSourceKind(definition: definition) }
            file = path
        case .set(let pattern):
            definition = FileSetSource(pattern: pattern, format: .csv(options))
            // The columns are checked against the first file's header, when there is one.
            guard let first = (try? FilePattern.files(pattern))?.first else { return DecodedSourceKind(definition: definition) }
            file = first
        }
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
        let origin = file == (definition as? CSVSource)?.path ? "the CSV file (columns of its header)" : "\(file) (columns of its header)"
        return DecodedSourceKind(definition: definition, fields: KnownFields(names: columns, origin: origin))
    }
}
