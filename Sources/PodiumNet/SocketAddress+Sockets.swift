import Glibc
import PodiumWire

/// Conversions between `SocketAddress` and the C socket API's `sockaddr_in`/`sockaddr_in6`.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) always become IPv4, so a peer has one identity
/// whether it reached a dual-stack socket or an IPv4 one; sending maps them back when the socket is
/// IPv6.
extension SocketAddress {
    /// Parses a numeric IPv4 (`192.0.2.1`) or IPv6 (`2001:db8::1`, no brackets, no zone) address;
    /// nil if `ip` is neither. No name resolution.
    public init?(ip text: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(ip: .v4(UInt32(bigEndian: v4.s_addr)), port: port)
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let (high, low) = withUnsafeBytes(of: &v6) { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        self.init(ip: Self.unmapped(high: high, low: low), port: port)
    }

    /// Reads a `sockaddr_in` or `sockaddr_in6` (any other family, or a length too short for the
    /// family, gives nil). `length` is what the kernel reported (`msg_namelen`, `getsockname`).
    @inlinable
    public init?(sockaddr pointer: UnsafeRawPointer, length: Int) {
        guard length >= 2 else { return nil }
        let port = UInt16(bigEndian: pointer.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        switch Int32(pointer.loadUnaligned(as: sa_family_t.self)) {
        case AF_INET:
            guard length >= MemoryLayout<sockaddr_in>.size else { return nil }
            let address = UInt32(bigEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            self.init(ip: .v4(address), port: port)
        case AF_INET6:
            guard length >= MemoryLayout<sockaddr_in6>.size else { return nil }
            let high = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let low = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            self.init(ip: Self.unmapped(high: high, low: low), port: port)
        default:
            return nil
        }
    }

    /// Reads a `sockaddr_storage` holding an IPv4 or IPv6 address.
    public init?(_ storage: sockaddr_storage) {
        var copy = storage
        let parsed = withUnsafeBytes(of: &copy) { SocketAddress(sockaddr: $0.baseAddress!, length: $0.count) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// True for IPv4 (including addresses that arrived IPv4-mapped).
    @inlinable
    public var isIPv4: Bool {
        if case .v4 = ip { return true }
        return false
    }

    /// Calls `body` with this address as a `sockaddr_in` (IPv4) or `sockaddr_in6` (IPv6).
    public func withSockAddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        try withSockAddr(forIPv6Socket: false, body)
    }

    /// Like `withSockAddr(_:)`, but an IPv4 address becomes IPv4-mapped IPv6 when
    /// `forIPv6Socket` is true, as a dual-stack (`AF_INET6`) socket requires.
    public func withSockAddr<R, E: Error>(forIPv6Socket: Bool, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { write(to: $0.baseAddress!, forIPv6Socket: forIPv6Socket) }
        return try withUnsafePointer(to: &storage) { (pointer) throws(E) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (p) throws(E) -> R in try body(p, length) }
        }
    }

    /// Writes the address into `pointer` (room for a `sockaddr_storage`) and returns its length.
    @inlinable
    func write(to pointer: UnsafeMutableRawPointer, forIPv6Socket: Bool) -> socklen_t {
        switch ip {
        case .v4(let address) where !forIPv6Socket:
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_in>.size)
            pointer.storeBytes(of: sa_family_t(AF_INET), as: sa_family_t.self)
            pointer.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
            pointer.storeBytes(of: address.bigEndian, toByteOffset: 4, as: UInt32.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v4(let address):
            return write6(to: pointer, high: 0, low: 0xFFFF_0000_0000 | UInt64(address))
        case .v6(let high, let low):
            return write6(to: pointer, high: high, low: low)
        }
    }

    @inlinable
    func write6(to pointer: UnsafeMutableRawPointer, high: UInt64, low: UInt64) -> socklen_t {
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<sockaddr_in6>.size)
        pointer.storeBytes(of: sa_family_t(AF_INET6), as: sa_family_t.self)
        pointer.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
        pointer.storeBytes(of: high.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: low.bigEndian, toByteOffset: 16, as: UInt64.self)
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }

    /// `::ffff:a.b.c.d` as IPv4, anything else as IPv6.
    @inlinable
    static func unmapped(high: UInt64, low: UInt64) -> IP {
        if high == 0 && low >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: low)) }
        return .v6(high: high, low: low)
    }

    /// The unspecified IPv4 address with port 0: the source reported for a datagram whose sender
    /// has no IP address (a Unix socket).
    public static let unspecifiedIPv4 = SocketAddress(ip: .v4(0), port: 0)
}
