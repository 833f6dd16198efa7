import BatonZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files of a file-set source: a glob (`data/*.jsonl`, `in/{a,b}/*.csv.gz`) or a folder
/// (its regular files, hidden ones left out), always absolute, listed in byte order of their
/// paths. `**` is not recursive (it matches like `*`).
enum FilePattern {
    /// Whether `text` is a glob rather than a path.
    static func isGlob(_ text: String) -> Bool { text.contains { "*?[{".contains($0) } }

    /// The regular files `pattern` names now, sorted.
    static func files(_ pattern: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if !isGlob(pattern), FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory), isDirectory.boolValue {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: pattern)
            } catch {
                throw BatonError(.data, "\(pattern): cannot list the folder: \(error.localizedDescription)")
            }
            let folder = pattern.hasSuffix("/") ? pattern : pattern + "/"
            return names.filter { !$0.hasPrefix(".") }.map { folder + $0 }.filter(isRegularFile).sorted(by: byteOrder)
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = glob(pattern, GLOB_BRACE | GLOB_MARK, nil, &matches)
        switch status {
        case 0: break
        case GLOB_NOMATCH: return []
        default: throw BatonError(.data, "\(pattern): cannot list the files (glob error \(status))")
        }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let raw = matches.gl_pathv[index] else { continue }
            let path = String(cString: raw)
            if !path.hasSuffix("/"), isRegularFile(path) { paths.append(path) }
        }
        return paths.sorted(by: byteOrder)
    }

    /// The folder the files are listed from: the pattern's leading part without glob characters.
    static func folder(of pattern: String) -> String {
        guard isGlob(pattern) else { return pattern }
        var parts: [Substring] = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if isGlob(String(part)) { break }
            parts.append(part)
        }
        let folder = parts.joined(separator: "/")
        return folder.isEmpty ? "/" : folder
    }

    /// A file's size, modification time and checksum (read in full for the checksum).
    static func fingerprint(_ path: String) throws -> SourceFile {
        let (size, modified) = try status(path)
        guard let file = fopen(path, "rb") else {
            throw BatonError(.data, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var checksum = ContentChecksum()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { buffer.withUnsafeBytes { checksum.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) } }
            if count < buffer.count {
                if ferror(file) != 0 { throw BatonError(.data, "\(path): read error: \(String(cString: strerror(errno)))") }
                break
            }
        }
        return SourceFile(path: path, size: size, modified: modified, checksum: checksum.hex)
    }

    /// Size in bytes and modification time in nanoseconds.
    static func status(_ path: String) throws -> (size: Int64, modified: Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw BatonError(.data, "\(path): cannot read its size: \(String(cString: strerror(errno)))")
        }
        return (Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
