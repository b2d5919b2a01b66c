import Foundation
import Testing
@testable import Zestor
@testable import ZestorPostgres
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy in front of the test server that cuts a connection as a network failure would:
/// once armed, the next client message containing a pattern either never reaches the server
/// (``Cut/request``) or does, and the server's answer to it is dropped (``Cut/reply``); both
/// sides are closed then. It can also cut a client off the network entirely for a while
/// (``isolate()`` … ``reconnect()``). Blocking sockets, two threads per connection (libpq is not
/// involved).
final class CuttingProxy: Sendable {
    enum Cut: Sendable {
        case request
        case reply
    }

    /// `serverURL` with the proxy's port.
    let url: String
    private let listener: Int32
    private let upstream: sockaddr_in
    private let state = Locked(State())

    private struct State {
        var armed: (pattern: [UInt8], cut: Cut)?
        var cuts = 0
        var links: [ObjectIdentifier: Link] = [:]
        var stopped = false
        /// While set, every new connection is closed at once (``isolate()``).
        var isolated = false
    }

    /// One proxied connection; its sockets are closed once both pumps ended.
    private final class Link: Sendable {
        let client: Int32
        let server: Int32
        /// Whether the server's next bytes are dropped; how many pumps still run.
        let state = Locked((dropReply: false, pumps: 2))

        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }

        func shutdownBoth() {
            _ = Glibc.shutdown(client, Int32(SHUT_RDWR))
            _ = Glibc.shutdown(server, Int32(SHUT_RDWR))
        }
    }

    init(serverURL: String) throws {
        var components = try #require(URLComponents(string: serverURL))
        var upstream = sockaddr_in()
        upstream.sin_family = sa_family_t(AF_INET)
        upstream.sin_port = UInt16(try #require(components.port)).bigEndian
        let host: String = try #require(components.host)
        try #require(inet_pton(AF_INET, host, &upstream.sin_addr) == 1)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw PostgresError(message: "proxy cannot listen: errno \(errno)")
        }
        components.port = Int(UInt16(bigEndian: address.sin_port))
        self.url = try #require(components.string)
        self.listener = listener
        self.upstream = upstream
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// How many connections were cut.
    var cuts: Int { state.withLock { $0.cuts } }

    /// Cuts the connection whose client next sends `pattern` (then disarms).
    func arm(cutting cut: Cut, whenClientSends pattern: [UInt8]) {
        state.withLock { $0.armed = (pattern, cut) }
    }

    /// Cuts every connection and refuses new ones until ``reconnect()``, as a network partition
    /// between the client and the server would.
    func isolate() {
        let links = state.withLock { state in
            state.isolated = true
            return Array(state.links.values)
        }
        links.forEach { $0.shutdownBoth() }
    }

    /// Ends ``isolate()``: new connections are proxied again.
    func reconnect() {
        state.withLock { $0.isolated = false }
    }

    /// Stops accepting and cuts every connection.
    func stop() {
        let links = state.withLock { state in
            state.stopped = true
            return Array(state.links.values)
        }
        _ = Glibc.shutdown(listener, Int32(SHUT_RDWR))
        links.forEach { $0.shutdownBoth() }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR, !state.withLock({ $0.stopped }) { continue }
                break
            }
            if state.withLock({ $0.isolated }) {
                close(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = upstream
            let connected = server >= 0 && withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected else {
                close(client)
                if server >= 0 { close(server) }
                continue
            }
            let link = Link(client: client, server: server)
            let stopped = state.withLock { state in
                state.links[ObjectIdentifier(link)] = link
                return state.stopped
            }
            if stopped { link.shutdownBoth() }
            Thread.detachNewThread { [self] in pumpRequests(link) }
            Thread.detachNewThread { [self] in pumpReplies(link) }
        }
        close(listener)
    }

    /// Client to server, watching for the armed pattern in what arrives after arming (also when
    /// it straddles two reads: the end of the previous one is searched again with the new one).
    private func pumpRequests(_ link: Link) {
        var carry: [UInt8] = []
        while let chunk = Self.read(link.client) {
            let window = carry + chunk
            let cut = state.withLock { state -> Cut? in
                guard let armed = state.armed, Self.contains(window, armed.pattern, endingAfter: carry.count) else {
                    return nil
                }
                state.armed = nil
                if armed.cut == .request { state.cuts += 1 }
                return armed.cut
            }
            if cut == .request { break }
            if cut == .reply { link.state.withLock { $0.dropReply = true } }
            guard Self.write(link.server, chunk) else { break }
            carry = Array(window.suffix(64))
        }
        finish(link)
    }

    /// Server to client, unless the reply is to be dropped.
    private func pumpReplies(_ link: Link) {
        while let chunk = Self.read(link.server) {
            if link.state.withLock({ $0.dropReply }) {
                state.withLock { $0.cuts += 1 }
                break
            }
            guard Self.write(link.client, chunk) else { break }
        }
        finish(link)
    }

    private func finish(_ link: Link) {
        link.shutdownBoth()
        let last = link.state.withLock { state in
            state.pumps -= 1
            return state.pumps == 0
        }
        guard last else { return }
        _ = state.withLock { $0.links.removeValue(forKey: ObjectIdentifier(link)) }
        close(link.client)
        close(link.server)
    }

    private static func read(_ socket: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 { return Array(buffer[..<count]) }
            if count < 0, errno == EINTR { continue }
            return nil
        }
    }

    private static func write(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// Whether `needle` occurs in `haystack` ending after its first `old` bytes.
    private static func contains(_ haystack: [UInt8], _ needle: [UInt8], endingAfter old: Int) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (max(0, old - needle.count + 1)...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}
