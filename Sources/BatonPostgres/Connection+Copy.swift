internal import CLibPQ

extension Connection {
    /// Runs `COPY … FROM STDIN` and streams the rows `body` writes, in `format` (which `sql`
    /// must name: `(FORMAT binary)` for ``CopyFormat/binary``). Returns the number of rows
    /// the server loaded. If `body` throws, the COPY is aborted (nothing is loaded) and the
    /// error is rethrown.
    @discardableResult
    public func copyIn(_ sql: String, format: CopyFormat = .text, timeout: Duration? = nil,
                       _ body: (inout CopyWriter) throws -> Void) throws -> Int {
        let deadline = deadline(timeout)
        try ensureUsable()
        guard sql.withCString({ PQsendQuery(handle, $0) }) == 1 else { throw error(.client, fallback: "could not send COPY") }
        try flush(until: deadline)
        guard let start = try nextResult(until: deadline) else { throw error(.client, fallback: "no answer to COPY") }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let failure: any Error
            do { _ = try check(start); failure = error(.client, fallback: "the statement is not COPY FROM STDIN") } catch { failure = error }
            drainResults(until: deadline)
            throw failure
        }
        PQclear(start)
        var writer = CopyWriter(connection: self, format: format, deadline: deadline)
        do {
            try body(&writer)
            try writer.finish()
        } catch {
            if isHealthy {
                _ = "aborted by client".withCString { PQputCopyEnd(handle, $0) }
                try? flush(until: deadline)
                drainResults(until: deadline)
            }
            throw error
        }
        while true {
            let ended = PQputCopyEnd(handle, nil)
            if ended == 1 { break }
            if ended < 0 { throw self.error(.connectionLost, fallback: "could not end COPY") }
            _ = try waitForSocket(read: false, write: true, until: deadline)
        }
        try flush(until: deadline)
        return try collectResults(until: deadline).affectedRows
    }

    func putCopyData(_ buffer: UnsafeBufferPointer<UInt8>, until deadline: ContinuousClock.Instant) throws {
        while true {
            let sent = buffer.withMemoryRebound(to: CChar.self) {
                PQputCopyData(handle, $0.baseAddress, Int32($0.count))
            }
            if sent == 1 { break }
            if sent < 0 { throw error(.connectionLost, fallback: "could not send COPY data") }
            // The output buffer is full: let the socket drain.
            let ready = try waitForSocket(read: true, write: true, until: deadline)
            if ready.read, PQconsumeInput(handle) == 0 { throw error(.connectionLost, fallback: "could not read from the server") }
            if ready.write, PQflush(handle) < 0 { throw error(.connectionLost, fallback: "could not send COPY data") }
        }
        try flush(until: deadline)
    }
}

/// Writes rows in COPY text format, buffered (64 KiB) between sends.
public struct CopyWriter: ~Copyable {
    private let connection: Connection
    private let deadline: ContinuousClock.Instant
    private let format: CopyFormat
    private var buffer: [UInt8] = []
    private static let flushSize = 64 * 1024
    /// Rows written so far.
    public private(set) var rowCount = 0

    init(connection: Connection, format: CopyFormat, deadline: ContinuousClock.Instant) {
        self.connection = connection
        self.format = format
        self.deadline = deadline
        buffer.reserveCapacity(CopyWriter.flushSize + 4096)
        if format == .binary {
            // The signature, no flags, no header extension.
            buffer.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
            appendInteger(UInt32(0))
            appendInteger(UInt32(0))
        }
    }

    // MARK: Binary format

    /// Begins a row of `fields` fields (binary format); write each with ``appendBinary(_:)-(String?)``
    /// or ``appendBinary(_:)-(Int64)``, then ``endRow()``.
    public mutating func beginBinaryRow(fields: Int) {
        precondition(format == .binary, "a binary row in a text COPY")
        appendInteger(UInt16(fields))
    }

    /// A text (or varchar) field of a binary row, its UTF-8 bytes as they are; nil is NULL.
    public mutating func appendBinary(_ field: String?) {
        guard var field else { return appendInteger(UInt32.max) }  // length -1: NULL
        field.withUTF8 { bytes in
            appendInteger(UInt32(bytes.count))
            buffer.append(contentsOf: bytes)
        }
    }

    /// A bigint field of a binary row.
    public mutating func appendBinary(_ value: Int64) {
        appendInteger(UInt32(8))
        appendInteger(UInt64(bitPattern: value))
    }

    /// Big-endian, as the binary format has every integer.
    private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    // MARK: Text format

    /// Appends one row; nil fields are NULL. Tabs, newlines and backslashes are escaped.
    public mutating func appendRow(_ fields: [String?]) throws {
        precondition(format == .text, "a text row in a binary COPY")
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            appendField(field)
        }
        try endRow()
    }

    /// Appends one field of the current row (call ``endRow()`` after the last field).
    public mutating func appendField(_ field: String?, separator: Bool = false) {
        if separator { buffer.append(UInt8(ascii: "\t")) }
        guard var field else {
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "N"))
            return
        }
        field.withUTF8 { bytes in
            // Runs of bytes that need no escape are appended whole.
            var start = 0
            for index in bytes.indices {
                let escaped: UInt8
                switch bytes[index] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(escaped)
                start = index + 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    /// Ends the current row.
    public mutating func endRow() throws {
        if format == .text { buffer.append(UInt8(ascii: "\n")) }
        rowCount += 1
        if buffer.count >= CopyWriter.flushSize { try flush() }
    }

    /// Sends what is left (and the binary format's trailer).
    mutating func finish() throws {
        if format == .binary { appendInteger(UInt16.max) }  // field count -1
        try flush()
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBufferPointer { try connection.putCopyData($0, until: deadline) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The data format of a `COPY … FROM STDIN`.
public enum CopyFormat: Sendable {
    /// Tab-separated text, `\N` for NULL, escapes for tabs, newlines and backslashes.
    case text
    /// PostgreSQL's binary format: a length before each field, no escaping, no parsing of
    /// numbers on the server (cheaper for both sides).
    case binary
}
