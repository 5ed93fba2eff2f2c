import Glibc
import Testing
import PodiumNet
import PodiumWire

@Suite struct BatchTests {
    /// Three senders, 40 datagrams each (120 > one 64-slot batch both ways), varied lengths.
    @Test(arguments: [false, true])
    func batchesCarryContentsAndSources(ipv6: Bool) throws {
        let make = { ipv6 ? try UDPSocket.loopback6(.init(receiveBufferSize: 1 << 21)) : try UDPSocket.loopback4(.init(receiveBufferSize: 1 << 21)) }
        let receiver = try make()
        let senders = try (0..<3).map { _ in try make() }
        var expected: [SocketAddress: [[UInt8]]] = [:]
        for (s, sender) in senders.enumerated() {
            let batch = SendBatch(socket: sender)
            var list: [[UInt8]] = []
            for seq in 0..<40 {
                let bytes = payload(sender: UInt8(s), sequence: UInt16(seq), length: 4 + (seq * 37) % 1200)
                list.append(bytes)
                // Half through reserve/commit (the zero-copy path), half through enqueue.
                if seq % 2 == 0 {
                    let slot = batch.reserve()
                    slot.copyBytes(from: bytes)
                    batch.commit(length: bytes.count, to: receiver.localAddress)
                } else {
                    batch.enqueue(bytes, to: receiver.localAddress)
                }
            }
            #expect(batch.count == 40)
            batch.flush()
            #expect(batch.count == 0)
            #expect(sender.counters.datagramsSent == 40)
            #expect(sender.counters.bytesSent == UInt64(list.reduce(0) { $0 + $1.count }))
            expected[sender.localAddress] = list
        }
        let batch = ReceiveBatch()
        #expect(batch.capacity == 64 && batch.slotSize == 2048)
        let got = receiveAll(receiver, batch: batch, expected: 120)
        #expect(got.count == 120)
        var bySource: [SocketAddress: [[UInt8]]] = [:]
        for (bytes, source) in got { bySource[source, default: []].append(bytes) }
        #expect(bySource == expected)   // per-sender order is kept on loopback
        #expect(receiver.counters.datagramsReceived == 120)
        #expect(receiver.counters.receiveCalls >= 2)
        #expect(receiver.counters.receiveKernelDrops == 0)
    }

    @Test func receivedBytesAreWritableInPlace() throws {
        let a = try UDPSocket.loopback4()
        let b = try UDPSocket.loopback4()
        let send = SendBatch(socket: a)
        send.enqueue([1, 2, 3, 4], to: b.localAddress)
        send.flush()
        waitReadable(b)
        let batch = ReceiveBatch(capacity: 32)
        #expect(batch.receive(on: b) == 1)
        let bytes = batch.bytes(0)
        bytes[0] = 0xAA
        #expect(Array(batch.bytes(0)) == [0xAA, 2, 3, 4])
        #expect(batch.socket === b)
    }

    @Test func oversizeDatagramsAreDroppedAndCounted() throws {
        let a = try UDPSocket.loopback4()
        let b = try UDPSocket.loopback4()
        let send = SendBatch(socket: a, capacity: 8, slotSize: 4000)
        let sizes = [100, 1000, 513, 512, 200]
        for (i, size) in sizes.enumerated() { send.enqueue(payload(sender: 1, sequence: UInt16(i), length: size), to: b.localAddress) }
        send.flush()
        let batch = ReceiveBatch(capacity: 8, slotSize: 512)
        let got = receiveAll(b, batch: batch, expected: 3)
        #expect(got.map { $0.0.count } == [100, 512, 200])
        #expect(got.map { $0.0 } == [0, 3, 4].map { payload(sender: 1, sequence: UInt16($0), length: sizes[$0]) })
        #expect(b.counters.receiveTruncated == 2)
        #expect(b.counters.datagramsReceived == 3)
    }

    @Test func enqueueRejectsDatagramsLargerThanASlot() throws {
        let a = try UDPSocket.loopback4()
        let send = SendBatch(socket: a, capacity: 4, slotSize: 100)
        let ok = [UInt8](repeating: 1, count: 101).withUnsafeBytes { send.enqueue(copying: $0, to: a.localAddress) }
        #expect(!ok)
        #expect(send.count == 0)
        #expect(a.counters.sendTooLarge == 1)
    }

    @Test func reserveFlushesAFullBatch() throws {
        let a = try UDPSocket.loopback4()
        let b = try UDPSocket.loopback4(.init(receiveBufferSize: 1 << 20))
        let send = SendBatch(socket: a, capacity: 32)
        for i in 0..<100 { send.enqueue(payload(sender: 0, sequence: UInt16(i), length: 50), to: b.localAddress) }
        #expect(send.count == 100 - 96)
        #expect(a.counters.datagramsSent == 96 && a.counters.sendCalls == 3)
        send.flush()
        let got = receiveAll(b, batch: ReceiveBatch(capacity: 32), expected: 100)
        #expect(got.map { $0.0 } == (0..<100).map { payload(sender: 0, sequence: UInt16($0), length: 50) })
    }

    /// One bad datagram (an IPv6 destination on an IPv4 socket: EAFNOSUPPORT) is skipped and the
    /// rest still go out, whether it is first in the batch or in the middle.
    @Test func aFailingDatagramIsSkippedAndTheRestAreSent() throws {
        let a = try UDPSocket.loopback4()
        let b = try UDPSocket.loopback4()
        let bad = SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 9)
        let send = SendBatch(socket: a)
        send.enqueue([0], to: bad)
        send.enqueue([1], to: b.localAddress)
        send.enqueue([2], to: bad)
        send.enqueue([3], to: b.localAddress)
        send.enqueue([4], to: b.localAddress)
        send.flush()
        #expect(a.counters.datagramsSent == 3)
        #expect(a.counters.sendOtherErrors == 2)
        #expect(a.counters.lastSendErrno == EAFNOSUPPORT)
        let got = receiveAll(b, batch: ReceiveBatch(capacity: 8), expected: 3)
        #expect(got.map { $0.0 } == [[1], [3], [4]])
    }

    /// Linux reports ICMP port-unreachable only on connected UDP sockets, as ECONNREFUSED on the
    /// next call. It is counted, never thrown, the refused datagram is retried, and the socket
    /// keeps working.
    @Test func connectionRefusedIsCountedAndTheSocketKeepsWorking() throws {
        let closedPort: SocketAddress = try {
            let s = try UDPSocket.loopback4()
            defer { s.close() }
            return s.localAddress
        }()
        let a = try UDPSocket.loopback4()
        try a.connect(to: closedPort)
        let send = SendBatch(socket: a)
        send.enqueue([1], to: closedPort)
        send.flush()
        #expect(a.counters.datagramsSent == 1)
        #expect(waitError(a))   // the ICMP error is pending on the socket
        send.reserve()[0] = 2
        send.commit(length: 1)   // to the connected peer
        send.flush()
        #expect(a.counters.sendRefused == 1)
        #expect(a.counters.datagramsSent == 2)   // retried after the stale error was consumed
        #expect(waitError(a))
        let receive = ReceiveBatch(capacity: 8)
        #expect(receive.receive(on: a) == 0)
        #expect(a.counters.receiveRefused == 1)
        #expect(a.counters.receiveErrors == 0)

        let b = try UDPSocket.loopback4()
        try a.connect(to: b.localAddress)
        send.enqueue([3], to: b.localAddress)
        send.flush()
        let got = receiveAll(b, batch: receive, expected: 1)
        #expect(got.map { $0.0 } == [[3]])
        #expect(got.first?.1 == a.localAddress)
    }

    /// An unconnected socket hears nothing about closed ports (IP_RECVERR is off): the datagram
    /// vanishes and later sends are unaffected.
    @Test func unconnectedSendsToAClosedPortAreSilent() throws {
        let closedPort: SocketAddress = try {
            let s = try UDPSocket.loopback6()
            defer { s.close() }
            return s.localAddress
        }()
        let a = try UDPSocket.loopback6()
        let b = try UDPSocket.loopback6()
        let send = SendBatch(socket: a)
        for round in 0..<3 {
            send.enqueue([UInt8(round)], to: closedPort)
            send.enqueue([UInt8(round)], to: b.localAddress)
            send.flush()
        }
        #expect(a.counters.datagramsSent == 6)
        #expect(a.counters.sendRefused == 0)
        #expect(receiveAll(b, batch: ReceiveBatch(capacity: 8), expected: 3).map { $0.0 } == [[0], [1], [2]])
    }

    /// A full send buffer (EAGAIN) drops the rest of the batch, counted as sendWouldBlock; after
    /// the peer drains, sending works again. (UDP over loopback never blocks the sender — the
    /// kernel drops at the receiver instead, see `kernelDropsAreCounted` — so an AF_UNIX
    /// datagram socketpair, whose sender does see EAGAIN, stands in here.)
    @Test func wouldBlockDropsTheRestOfTheBatchAndIsCounted() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &fds) == 0)
        let a = try UDPSocket(adopting: fds[0])
        let b = try UDPSocket(adopting: fds[1])
        let send = SendBatch(socket: a, capacity: 64)
        var attempted = 0
        var flushes = 0
        while a.counters.sendWouldBlock == 0 && flushes < 1000 {
            for _ in 0..<64 {
                let slot = send.reserve()
                slot.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: attempted))
                send.commit(length: 1000)
                attempted += 1
            }
            send.flush()
            flushes += 1
        }
        #expect(a.counters.sendWouldBlock > 0)
        #expect(a.counters.datagramsSent + a.counters.sendWouldBlock == UInt64(attempted))
        #expect(a.counters.lastSendErrno == EAGAIN)

        let receive = ReceiveBatch(capacity: 64)
        var drained = 0
        while true {
            let n = receive.receive(on: b)
            if n == 0 { break }
            for i in 0..<n { #expect(receive.bytes(i).count == 1000) }
            drained += n
        }
        #expect(UInt64(drained) == a.counters.datagramsSent)
        send.enqueue([42], to: .unspecifiedIPv4)   // ignored address family: AF_UNIX needs none…
        send.flush()                                // …so this one fails (EINVAL), counted, no throw
        #expect(a.counters.sendOtherErrors == 1 && a.counters.lastSendErrno == EINVAL)
        send.reserve()[0] = 43
        send.commit(length: 1)
        send.flush()
        #expect(receive.receive(on: b) == 1)
        #expect(Array(receive.bytes(0)) == [43])
    }

    /// A receiver that does not keep up loses datagrams in the kernel; SO_RXQ_OVFL tells us how
    /// many, so delivered + dropped accounts for everything sent.
    @Test func kernelDropsAreCounted() throws {
        let receiver = try UDPSocket.loopback4(.init(receiveBufferSize: 4096))
        let sender = try UDPSocket.loopback4()
        let send = SendBatch(socket: sender)
        let total = 60
        for i in 0..<total { send.enqueue(payload(sender: 0, sequence: UInt16(i), length: 1000), to: receiver.localAddress) }
        send.flush()
        let batch = ReceiveBatch()
        var fills = 0
        var probes = 0
        for _ in 0..<100 {
            while true {
                let n = batch.receive(on: receiver)
                if n == 0 { break }
                for i in 0..<n where batch.bytes(i).count == 1000 { fills += 1 }
                probes += (0..<n).filter { batch.bytes($0).count == 1 }.count
            }
            if probes > 0 && fills + Int(receiver.counters.receiveKernelDrops) == total { break }
            // A probe sent after draining has room, and carries the kernel's drop count.
            send.enqueue([0], to: receiver.localAddress)
            send.flush()
            waitReadable(receiver)
        }
        #expect(receiver.counters.receiveKernelDrops > 0)
        #expect(fills + Int(receiver.counters.receiveKernelDrops) == total)
    }
}
