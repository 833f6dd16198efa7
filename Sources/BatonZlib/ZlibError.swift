/// Why zlib could not read a file. The description does not repeat the path: the caller
/// names the file.
public struct ZlibError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
