/// One bound parameter of a parameterized statement, always sent in PostgreSQL's *binary* format.
///
/// Binary text never truncates: a Swift string holding U+0000 reaches the server whole and is
/// rejected there (SQLSTATE `22021`) instead of being cut at the NUL as a C string would be.
/// Arrays are one-dimensional, lower bound 1, without NULL elements.
enum PostgresParameter {
    case text(String)
    case bytea([UInt8])
    case int64(Int64)
    case textArray([String])
    case byteaArray([[UInt8]])
    case int64Array([Int64])

    /// The parameter's type OID (`pg_type.oid`), sent so the server never has to infer it.
    var typeOID: UInt32 {
        switch self {
        case .text: PostgresOID.text
        case .bytea: PostgresOID.bytea
        case .int64: PostgresOID.int8
        case .textArray: PostgresOID.textArray
        case .byteaArray: PostgresOID.byteaArray
        case .int64Array: PostgresOID.int8Array
        }
    }

    /// Appends the binary wire representation to `buffer`.
    func encode(into buffer: inout [UInt8]) {
        switch self {
        case .text(let text):
            buffer.append(contentsOf: text.utf8)
        case .bytea(let bytes):
            buffer.append(contentsOf: bytes)
        case .int64(let value):
            buffer.appendBigEndian(value)
        case .textArray(let texts):
            Self.encodeArray(texts.map { Array($0.utf8) }, element: PostgresOID.text, into: &buffer)
        case .byteaArray(let values):
            Self.encodeArray(values, element: PostgresOID.bytea, into: &buffer)
        case .int64Array(let values):
            Self.encodeArrayHeader(count: values.count, element: PostgresOID.int8, into: &buffer)
            for value in values {
                buffer.appendBigEndian(Int32(8))
                buffer.appendBigEndian(value)
            }
        }
    }

    /// `array_send` format: ndim, has-null flag, element OID, (length, lower bound) per dimension,
    /// then (length, bytes) per element.
    private static func encodeArray(_ elements: [[UInt8]], element: UInt32, into buffer: inout [UInt8]) {
        encodeArrayHeader(count: elements.count, element: element, into: &buffer)
        for bytes in elements {
            buffer.appendBigEndian(Int32(bytes.count))
            buffer.append(contentsOf: bytes)
        }
    }

    private static func encodeArrayHeader(count: Int, element: UInt32, into buffer: inout [UInt8]) {
        buffer.appendBigEndian(Int32(1))  // dimensions
        buffer.appendBigEndian(Int32(0))  // no NULL elements
        buffer.appendBigEndian(element)
        buffer.appendBigEndian(Int32(count))
        buffer.appendBigEndian(Int32(1))  // lower bound
    }
}

/// The built-in type OIDs the backend binds and reads (`pg_type.oid`, fixed since PostgreSQL 7).
enum PostgresOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let byteaArray: UInt32 = 1001
    static let textArray: UInt32 = 1009
    static let int8Array: UInt32 = 1016
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
