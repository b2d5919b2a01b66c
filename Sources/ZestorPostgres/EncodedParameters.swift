/// The binary wire encodings of a statement's parameters (`array_send`, `int8send`, raw bytes…),
/// all in one buffer, as libpq's `paramValues`/`paramLengths`/`paramFormats` take them.
struct EncodedParameters {
    private var buffer: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [Int32] = []

    /// Encodes `parameters`; throws SQLSTATE `54000` for a value longer than the protocol allows.
    init(_ parameters: [PostgresParameter], sql: String) throws {
        offsets.reserveCapacity(parameters.count)
        lengths.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            let start = buffer.count
            parameter.encode(into: &buffer)
            guard let length = Int32(exactly: buffer.count - start) else {
                throw PostgresError(sqlState: "54000", message: "parameter $\(index + 1) is \(buffer.count - start) bytes; "
                                    + "the protocol allows at most \(Int32.max)", statement: sql)
            }
            offsets.append(start)
            lengths.append(length)
        }
        buffer.append(0)  // so that every value, even an empty one, has a valid non-NULL address
    }

    /// Calls `body` with the value pointers (valid only during the call), lengths and formats
    /// (all binary).
    func withPointers<R>(_ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) throws -> R) rethrows -> R {
        let formats = [Int32](repeating: 1, count: lengths.count)
        return try buffer.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            return try body(offsets.map { base + $0 }, lengths, formats)
        }
    }
}
