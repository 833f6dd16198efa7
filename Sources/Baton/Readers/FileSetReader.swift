import BatonPostgres
import Foundation
import Logging

/// Reads the files of a ``FileSetSource`` one after the other, skipping the ones the pipeline
/// read before (same path, size and checksum). Its position is the current file's offset and
/// line, with the file (path, size, checksum) as its state; a resumed run continues in that
/// file, or starts it again if it changed meanwhile.
final class FileSetReader: SourceReader {
    private let pattern: String
    private let context: SourceReaderContext
    private let open: (String) throws -> any SourceReader
    /// The files to read, in order; nil until planned.
    private var plan: [String]?
    private var upcoming = 0
    private var current: (reader: any SourceReader, file: SourceFile)?
    private var finished: [SourceFile] = []

    init(pattern: String, context: SourceReaderContext, open: @escaping (String) throws -> any SourceReader) {
        self.pattern = pattern
        self.context = context
        self.open = open
    }

    var position: SourcePosition {
        guard let current else { return .start }
        let inFile = current.reader.position
        return SourcePosition(offset: inFile.offset, line: inFile.line, state: FileSetReader.encode(current.file))
    }

    func resume(at position: SourcePosition) throws {
        current = nil
        upcoming = 0
        let resumed = position.state.flatMap(FileSetReader.decode)
        var files = try pendingFiles()
        guard let resumed, let index = files.firstIndex(of: resumed.path) else {
            plan = files
            return
        }
        // The file being read when the run stopped comes first, then every other unread one.
        files.remove(at: index)
        plan = [resumed.path] + files
        upcoming = 1
        let now = try FilePattern.fingerprint(resumed.path)
        let reader = try open(resumed.path)
        if now.size == resumed.size && now.checksum == resumed.checksum {
            try reader.resume(at: SourcePosition(offset: position.offset, line: position.line))
        } else {
            context.logger.warning("\(resumed.path) changed while it was being read: reading it again from the start")
        }
        current = (reader, now)
    }

    func next() throws -> SourceRecord? {
        while true {
            if current == nil {
                if plan == nil { plan = try pendingFiles() }
                guard upcoming < plan!.count else { return nil }
                let path = plan![upcoming]
                upcoming += 1
                guard FileManager.default.fileExists(atPath: path) else {
                    context.logger.warning("\(path) disappeared before it was read; skipping it")
                    continue
                }
                let file = try FilePattern.fingerprint(path)
                current = (try open(path), file)
            }
            if var record = try current!.reader.next() {
                record.file = current!.file.path
                return record
            }
            try SourceFile.requireUnchanged(current!.file.path, size: current!.file.size, since: "its reading began")
            finished.append(current!.file)
            current = nil
        }
    }

    func takeFinishedFiles() -> [SourceFile] {
        defer { finished.removeAll() }
        return finished
    }

    /// The files of the pattern the pipeline has not read in their present form. Files whose
    /// content is unchanged but whose time changed (touched) are remembered again, so they
    /// are not read for their checksum every time.
    private func pendingFiles() throws -> [String] {
        let paths = try FilePattern.files(pattern)
        let remembered = try Store.rememberedFiles(try Connection(context.database), pipeline: context.pipeline)
        var pending: [String] = []
        for path in paths {
            guard let known = remembered[path] else {
                pending.append(path)
                continue
            }
            let (size, modified) = try FilePattern.status(path)
            if size != known.size {
                pending.append(path)
            } else if modified != known.modified {
                let now = try FilePattern.fingerprint(path)
                if now.checksum == known.checksum { finished.append(now) } else { pending.append(path) }
            }
        }
        return pending
    }

    private static func encode(_ file: SourceFile) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(file)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode(_ text: String) -> SourceFile? {
        try? JSONDecoder().decode(SourceFile.self, from: Data(text.utf8))
    }
}
