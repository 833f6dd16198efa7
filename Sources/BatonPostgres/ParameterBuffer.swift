/// Holds parameter bytes contiguously for the duration of one libpq call.
struct ParameterBuffer {
    private var storage: [CChar] = []
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []
    private var types: [UInt32] = []

    init(_ values: [PostgresValue]) {
        storage.reserveCapacity(values.reduce(0) { $0 + ($1.bytes?.count ?? 0) + 1 })
        for value in values {
            types.append(value.typeOID)
            formats.append(value.isBinary ? 1 : 0)
            if let bytes = value.bytes {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                for byte in bytes { storage.append(CChar(bitPattern: byte)) }
                storage.append(0)
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
        }
    }

    func withPointers<R>(
        _ body: (Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        storage.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { buffer.baseAddress! + $0 }
            }
            return pointers.withUnsafeBufferPointer { p in
                types.withUnsafeBufferPointer { t in
                    lengths.withUnsafeBufferPointer { l in
                        formats.withUnsafeBufferPointer { f in
                            body(Int32(offsets.count), t.baseAddress, p.baseAddress, l.baseAddress, f.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
