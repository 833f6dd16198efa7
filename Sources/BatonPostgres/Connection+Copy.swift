internal import CLibPQ

extension Connection {
    /// Runs `COPY … FROM STDIN` (text format) and streams the rows `body` writes.
    /// Returns the number of rows the server loaded. If `body` throws, the COPY is aborted
    /// (nothing is loaded) and the error is rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (inout CopyWriter) throws -> Void) throws -> Int {
        let start = try execute(sql)
        _ = start
        var writer = CopyWriter(connection: self)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            _ = "aborted by client".withCString { PQputCopyEnd(handle, $0) }
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            let failure = self.error(.client, fallback: "could not end COPY")
            drainResults()
            throw failure
        }
        var loaded = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle) {
            do {
                let checked = try check(result)
                loaded = checked.affectedRows
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        return loaded
    }

    /// Reads and discards results until the connection is idle again.
    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    func putCopyData(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        let sent = buffer.withMemoryRebound(to: CChar.self) {
            PQputCopyData(handle, $0.baseAddress, Int32($0.count))
        }
        guard sent == 1 else { throw error(.client, fallback: "could not send COPY data") }
    }
}

/// Writes rows in COPY text format, buffered (64 KiB) between sends.
public struct CopyWriter: ~Copyable {
    private let connection: Connection
    private var buffer: [UInt8] = []
    private static let flushSize = 64 * 1024
    /// Rows written so far.
    public private(set) var rowCount = 0

    init(connection: Connection) {
        self.connection = connection
        buffer.reserveCapacity(CopyWriter.flushSize + 4096)
    }

    /// Appends one row; nil fields are NULL. Tabs, newlines and backslashes are escaped.
    public mutating func appendRow(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            appendField(field)
        }
        try endRow()
    }

    /// Appends one field of the current row (call ``endRow()`` after the last field).
    public mutating func appendField(_ field: String?, separator: Bool = false) {
        if separator { buffer.append(UInt8(ascii: "\t")) }
        guard let field else {
            buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        for byte in field.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: buffer.append(byte)
            }
        }
    }

    /// Ends the current row.
    public mutating func endRow() throws {
        buffer.append(UInt8(ascii: "\n"))
        rowCount += 1
        if buffer.count >= CopyWriter.flushSize { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBufferPointer { try connection.putCopyData($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
