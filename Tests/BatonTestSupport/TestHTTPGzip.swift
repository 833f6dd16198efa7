import Foundation

/// `bytes` compressed by `/bin/gzip -c`.
public func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    // Small inputs only: the whole input fits in the pipe before gzip's output is read.
    try input.fileHandleForWriting.write(contentsOf: Data(bytes))
    try input.fileHandleForWriting.close()
    let compressed = try output.fileHandleForReading.readToEnd() ?? Data()
    process.waitUntilExit()
    return Array(compressed)
}
