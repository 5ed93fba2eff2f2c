import Glibc
import Testing
import PodiumNet
import PodiumWire

@Suite struct SocketAddressSocketsTests {
    @Test(arguments: [
        ("127.0.0.1", SocketAddress(ipv4: 127, 0, 0, 1, port: 9)),
        ("192.0.2.255", SocketAddress(ipv4: 192, 0, 2, 255, port: 9)),
        ("::1", SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 9)),
        ("2001:db8::8:800:200c:417a", SocketAddress(ipv6: 0x2001, 0xdb8, 0, 0, 0x8, 0x800, 0x200c, 0x417a, port: 9)),
        ("::ffff:192.0.2.1", SocketAddress(ipv4: 192, 0, 2, 1, port: 9)),   // mapped → IPv4
    ])
    func parsesNumericAddresses(text: String, expected: SocketAddress) {
        #expect(SocketAddress(ip: text, port: 9) == expected)
    }

    @Test(arguments: ["", "localhost", "1.2.3", "1.2.3.4.5", "256.0.0.1", "[::1]", "::1%lo", "2001:db8::g", " 1.2.3.4"])
    func rejectsNonNumericText(text: String) {
        #expect(SocketAddress(ip: text, port: 1) == nil)
    }

    @Test func roundTripsThroughSockaddr() {
        let addresses = [
            SocketAddress(ipv4: 10, 1, 2, 3, port: 40000),
            SocketAddress(ipv6: 0x2001, 0xdb8, 1, 2, 3, 4, 5, 6, port: 65535),
            SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 1),
        ]
        for address in addresses {
            let back = address.withSockAddr { pointer, length -> SocketAddress? in
                #expect(Int(length) == (address.isIPv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size))
                return SocketAddress(sockaddr: UnsafeRawPointer(pointer), length: Int(length))
            }
            #expect(back == address)
        }
    }

    @Test func ipv4BecomesMappedForIPv6Sockets() {
        let address = SocketAddress(ipv4: 192, 0, 2, 1, port: 0x1234)
        address.withSockAddr(forIPv6Socket: true) { pointer, length in
            #expect(Int(length) == MemoryLayout<sockaddr_in6>.size)
            #expect(Int32(pointer.pointee.sa_family) == AF_INET6)
            let raw = UnsafeRawPointer(pointer)
            let bytes = (0..<16).map { raw.load(fromByteOffset: 8 + $0, as: UInt8.self) }
            #expect(bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1])
            #expect(raw.load(fromByteOffset: 2, as: UInt8.self) == 0x12)   // port, network order
            // Reading it back unmaps it.
            #expect(SocketAddress(sockaddr: raw, length: Int(length)) == address)
        }
    }

    @Test func fromSockaddrStorage() {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: sa_family_t(AF_INET), as: sa_family_t.self)
            raw.storeBytes(of: UInt16(5004).bigEndian, toByteOffset: 2, as: UInt16.self)
            raw.storeBytes(of: UInt32(0x7F00_0001).bigEndian, toByteOffset: 4, as: UInt32.self)
        }
        #expect(SocketAddress(storage) == SocketAddress(ipv4: 127, 0, 0, 1, port: 5004))
        #expect(SocketAddress(storage)?.isIPv4 == true)
        storage.ss_family = sa_family_t(AF_UNIX)
        #expect(SocketAddress(storage) == nil)
    }

    @Test func shortLengthIsRejected() {
        SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 1).withSockAddr { pointer, length in
            #expect(SocketAddress(sockaddr: UnsafeRawPointer(pointer), length: Int(length) - 1) == nil)
            #expect(SocketAddress(sockaddr: UnsafeRawPointer(pointer), length: 1) == nil)
        }
    }
}
