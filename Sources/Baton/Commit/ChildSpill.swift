import BatonJQ
import Foundation

/// Where one item's outputs go while its transform runs: memory for the usual few, a
/// temporary file once there are many (a fan-out of millions), so the process's memory stays
/// flat whatever one item emits. The commit then writes spilled children in bounded chunks.
///
/// Not `Sendable` while being filled (one transform fills it); handed over whole afterwards.
package final class ChildSpill: @unchecked Sendable {
    /// Children kept in memory before spilling to the file.
    package static let memoryLimit = 10_000
    private(set) var inMemory: [ChildItem] = []
    private(set) var count = 0
    private var file: UnsafeMutablePointer<FILE>?
    private var path: String?

    package init() {}

    deinit {
        if let file { fclose(file) }
        if let path { unlink(path) }
    }

    package var isSpilled: Bool { file != nil }

    package func append(_ child: ChildItem) throws {
        count += 1
        if file == nil && inMemory.count < ChildSpill.memoryLimit {
            inMemory.append(child)
            return
        }
        if file == nil { try open() }
        try write(child)
    }

    private func open() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/baton-spill-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0, let handle = fdopen(fd, "w+") else {
            throw StageError.transient("cannot create a spill file for a large fan-out: \(String(cString: strerror(errno)))", class: "spill")
        }
        file = handle
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        for child in inMemory { try write(child) }
        inMemory = []
    }

    /// One line per child: the key as a JSON string, a tab, the payload (compact JSON).
    private func write(_ child: ChildItem) throws {
        let line = JSON.string(child.key).serialized + "\t" + child.payload + "\n"
        let written = line.utf8CString.withUnsafeBufferPointer { fputs($0.baseAddress!, file) }
        guard written >= 0 else {
            throw StageError.transient("cannot write the spill file of a large fan-out: \(String(cString: strerror(errno)))", class: "spill")
        }
    }

    /// The children in order, `chunk` at a time.
    package func forEachChunk(_ chunk: Int, _ body: ([ChildItem]) throws -> Void) throws {
        guard let file else {
            for start in stride(from: 0, to: inMemory.count, by: max(1, chunk)) {
                try body(Array(inMemory[start..<min(start + chunk, inMemory.count)]))
            }
            return
        }
        fflush(file)
        rewind(file)
        let reader = try LineReader(file: file, path: path ?? "spill")
        var pending: [ChildItem] = []
        pending.reserveCapacity(chunk)
        while let line = try reader.next() {
            guard let tab = line.firstIndex(of: "\t"), let key = try? JSON(parsing: String(line[..<tab])).stringValue else { continue }
            pending.append(ChildItem(key: key, payload: String(line[line.index(after: tab)...])))
            if pending.count == chunk {
                try body(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try body(pending) }
    }
}
