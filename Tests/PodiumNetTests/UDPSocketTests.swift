import Glibc
import Testing
import PodiumNet
import PodiumWire

@Suite struct UDPSocketTests {
    @Test func bindToPortZeroReportsTheChosenPort() throws {
        let v4 = try UDPSocket.loopback4()
        #expect(v4.localAddress.ip == .v4(0x7F00_0001))
        #expect(v4.localAddress.port != 0)
        #expect(!v4.isIPv6)
        let v6 = try UDPSocket.loopback6()
        #expect(v6.localAddress.ip == .v6(high: 0, low: 1))
        #expect(v6.localAddress.port != 0)
        #expect(v6.isIPv6)
    }

    @Test func bufferSizesReportWhatTheKernelGranted() throws {
        let socket = try UDPSocket.loopback4(.init(receiveBufferSize: 1 << 20, sendBufferSize: 1 << 18))
        // Linux doubles the request for bookkeeping; without privileges it caps at rmem_max.
        #expect(socket.receiveBufferSize >= 1 << 20 || socket.receiveBufferSize >= 2 * 212_992)
        #expect(socket.sendBufferSize >= 1 << 18 || socket.sendBufferSize >= 2 * 212_992)
        #expect(throws: NetError.self) { try UDPSocket.loopback4(.init(receiveBufferSize: 0)) }
    }

    @Test func reusePortLetsTwoSocketsShareAPortAndSplitTheFlows() throws {
        let first = try UDPSocket.loopback4(.init(reusePort: true))
        let second = try UDPSocket(bindingTo: first.localAddress, options: .init(reusePort: true))
        #expect(second.localAddress == first.localAddress)

        // Without SO_REUSEPORT the port is taken, and the error says which call failed and why.
        do {
            _ = try UDPSocket(bindingTo: first.localAddress)
            Issue.record("bind to a taken port succeeded")
        } catch {
            #expect(error.errno == EADDRINUSE)
            #expect(error.description.contains("bind(127.0.0.1:\(first.localAddress.port))"))
            #expect(error.description.contains("in use"))
        }

        // Flows from many source ports are spread over both; together they get every datagram.
        let senders = try (0..<16).map { _ in try UDPSocket.loopback4() }
        for (i, sender) in senders.enumerated() {
            let bytes = payload(sender: UInt8(i), sequence: 0, length: 32)
            bytes.withUnsafeBytes { _ = sender.send($0, to: first.localAddress) }
        }
        var received = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        var pollFDs = [pollfd(fd: first.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: second.descriptor, events: Int16(POLLIN), revents: 0)]
        while received < senders.count, poll(&pollFDs, 2, 2000) > 0 {
            for socket in [first, second] { while socket.receive(into: buffer) != nil { received += 1 } }
        }
        #expect(received == senders.count)
        #expect(first.counters.datagramsReceived + second.counters.datagramsReceived == UInt64(senders.count))
    }

    @Test func singleSendAndReceiveCountTraffic() throws {
        let a = try UDPSocket.loopback6()
        let b = try UDPSocket.loopback6()
        let bytes = payload(sender: 7, sequence: 9, length: 100)
        #expect(bytes.withUnsafeBytes { a.send($0, to: b.localAddress) })
        waitReadable(b)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        let got = try #require(b.receive(into: buffer))
        #expect(got.source == a.localAddress)
        #expect(Array(buffer[0..<got.count]) == bytes)
        #expect(a.counters.datagramsSent == 1 && a.counters.bytesSent == 100)
        #expect(b.counters.datagramsReceived == 1 && b.counters.bytesReceived == 100)
        #expect(b.receive(into: buffer) == nil)   // EAGAIN: nothing waiting, not an error
        #expect(b.counters.receiveErrors == 0)
    }

    @Test func closeIsIdempotentAndClosedSocketsFailSoftly() throws {
        let socket = try UDPSocket.loopback4()
        let peer = try UDPSocket.loopback4()
        socket.close()
        socket.close()
        #expect(!socket.isOpen && socket.descriptor == -1)
        let bytes: [UInt8] = [1, 2, 3]
        #expect(!bytes.withUnsafeBytes { socket.send($0, to: peer.localAddress) })
        #expect(socket.counters.sendOtherErrors == 1)
        #expect(ReceiveBatch(capacity: 4).receive(on: socket) == 0)
        let batch = SendBatch(socket: socket)
        batch.enqueue(bytes, to: peer.localAddress)
        batch.flush()
        #expect(socket.counters.sendOtherErrors == 2)
        #expect(socket.counters.lastSendErrno == EBADF)
    }

    @Test func adoptingASocketpairDescriptor() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
        let a = try UDPSocket(adopting: fds[0])
        let b = try UDPSocket(adopting: fds[1])
        #expect(a.localAddress == .unspecifiedIPv4)
        let bytes: [UInt8] = [9, 8, 7]
        #expect(bytes.withUnsafeBytes { a.send($0, to: nil) })
        let batch = ReceiveBatch(capacity: 4)
        #expect(batch.receive(on: b) == 1)
        #expect(Array(batch.bytes(0)) == bytes)
        #expect(batch.source(0) == .unspecifiedIPv4)
        #expect(throws: NetError.self) { try UDPSocket(adopting: 987_654) }
    }
}
