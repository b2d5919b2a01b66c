#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns values into the bytes a ``PersistenceBackend`` stores, and back.
public protocol Codec<Value>: Sendable {
    associatedtype Value
    func encode(_ value: Value) throws -> [UInt8]
    func decode(_ bytes: [UInt8]) throws -> Value
    /// A codec for one thread of a bulk load (e.g. with its own reusable buffers). Default: `self`.
    func worker() -> Self
}

extension Codec {
    public func worker() -> Self { self }
}

/// The default codec: JSON, as the Go zestor stores write it.
///
/// Holds one encoder and one decoder (thread-safe, configured once) instead of creating them
/// per value; ``worker()`` gives bulk loaders a private pair.
public struct JSONCodec<Value: Codable>: Codec {
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    public init() {
        encoder = JSONEncoder()
        decoder = JSONDecoder()
    }

    public func encode(_ value: Value) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    public func decode(_ bytes: [UInt8]) throws -> Value {
        try decoder.decode(Value.self, from: Data(bytes))
    }

    public func worker() -> JSONCodec<Value> { JSONCodec() }
}
