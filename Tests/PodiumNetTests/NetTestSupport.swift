import Glibc
import PodiumNet
import PodiumWire
import Synchronization

/// A value delivered once from any thread, awaited with a bounded timeout (tests never sleep to
/// wait for something).
final class Completion<T: Sendable>: Sendable {
    private struct State {
        var value: T?
        var waiter: CheckedContinuation<T?, Never>?
        var finished = false
    }
    private let state = Mutex(State())

    func complete(_ value: T) {
        let waiter = state.withLock { s -> CheckedContinuation<T?, Never>? in
            guard !s.finished, s.value == nil else { return nil }
            if let w = s.waiter {
                s.finished = true
                s.waiter = nil
                return w
            }
            s.value = value
            return nil
        }
        waiter?.resume(returning: value)
    }

    /// The value, or nil after `timeout`.
    func wait(timeout: Duration = .seconds(5)) async -> T? {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiter = self.state.withLock { s -> CheckedContinuation<T?, Never>? in
                guard !s.finished else { return nil }
                s.finished = true
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
            let ready = state.withLock { s -> (Bool, T?) in
                if s.finished { return (true, nil) }
                if let v = s.value {
                    s.finished = true
                    return (true, v)
                }
                s.waiter = c
                return (false, nil)
            }
            if ready.0 { c.resume(returning: ready.1) }
        }
    }
}

/// Waits until `socket` is readable (or has an error pending), at most `milliseconds`.
@discardableResult
func waitReadable(_ socket: UDPSocket, milliseconds: Int32 = 2000) -> Bool {
    var descriptor = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, milliseconds) > 0
}

/// Waits until `socket` has a pending error (POLLERR), at most `milliseconds`.
@discardableResult
func waitError(_ socket: UDPSocket, milliseconds: Int32 = 2000) -> Bool {
    var descriptor = pollfd(fd: socket.descriptor, events: 0, revents: 0)
    return poll(&descriptor, 1, milliseconds) > 0 && descriptor.revents & Int16(POLLERR) != 0
}

/// A payload identifying (sender, sequence), `length` bytes long (≥ 4).
func payload(sender: UInt8, sequence: UInt16, length: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: length)
    bytes[0] = sender
    bytes[1] = UInt8(sequence >> 8)
    bytes[2] = UInt8(sequence & 0xFF)
    for i in 3..<length { bytes[i] = UInt8(truncatingIfNeeded: Int(sender) &* 31 &+ Int(sequence) &+ i) }
    return bytes
}

/// Reads datagrams from `socket` into `batch` until `expected` arrived or nothing comes for 2 s;
/// returns (bytes, source) of each.
func receiveAll(_ socket: UDPSocket, batch: ReceiveBatch, expected: Int) -> [([UInt8], SocketAddress)] {
    var out: [([UInt8], SocketAddress)] = []
    while out.count < expected {
        let n = batch.receive(on: socket)
        if n == 0 {
            if !waitReadable(socket) { break }
            continue
        }
        for i in 0..<n { out.append((Array(batch.bytes(i)), batch.source(i))) }
    }
    return out
}

extension SendBatch {
    func enqueue(_ bytes: [UInt8], to destination: SocketAddress) {
        bytes.withUnsafeBytes { _ = enqueue(copying: $0, to: destination) }
    }
}

extension UDPSocket {
    static func loopback4(_ options: Options = Options()) throws -> UDPSocket {
        try UDPSocket(bindingTo: SocketAddress(ipv4: 127, 0, 0, 1, port: 0), options: options)
    }
    static func loopback6(_ options: Options = Options()) throws -> UDPSocket {
        try UDPSocket(bindingTo: SocketAddress(ipv6: 0, 0, 0, 0, 0, 0, 0, 1, port: 0), options: options)
    }
}
