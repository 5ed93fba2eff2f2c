import Glibc
import PodiumWire

/// A non-blocking UDP socket.
///
/// Confinement: create it anywhere, then use it from one thread only — normally the `EventLoop` it
/// is registered with. `@unchecked Sendable` exists so it can be handed to that loop; the
/// descriptor and `counters` are plain fields with no locking.
public final class UDPSocket: @unchecked Sendable {
    /// Socket options applied before `bind`.
    public struct Options: Sendable, Equatable {
        /// `SO_REUSEPORT`: several sockets (one per worker) share a port and the kernel spreads
        /// flows across them by 4-tuple hash.
        public var reusePort: Bool
        /// `SO_RCVBUF` / `SO_SNDBUF` in bytes; nil keeps the system default. When the request exceeds
        /// `net.core.rmem_max`/`wmem_max` the `…FORCE` variant is tried (works with CAP_NET_ADMIN);
        /// what the kernel granted is in `receiveBufferSize`/`sendBufferSize`.
        public var receiveBufferSize: Int?
        public var sendBufferSize: Int?
        /// `IPV6_V6ONLY` for IPv6 sockets; false makes `::` accept IPv4 too (dual stack).
        public var ipv6Only: Bool
        /// `SO_RXQ_OVFL`: the kernel tells us how many datagrams it dropped for a full receive
        /// buffer, counted in `SocketCounters.receiveKernelDrops`.
        public var reportKernelDrops: Bool

        public init(reusePort: Bool = false, receiveBufferSize: Int? = nil, sendBufferSize: Int? = nil,
                    ipv6Only: Bool = false, reportKernelDrops: Bool = true) {
            self.reusePort = reusePort
            self.receiveBufferSize = receiveBufferSize
            self.sendBufferSize = sendBufferSize
            self.ipv6Only = ipv6Only
            self.reportKernelDrops = reportKernelDrops
        }
    }

    /// The file descriptor, -1 once closed.
    public private(set) var descriptor: Int32
    /// True for an `AF_INET6` socket: destinations are written as `sockaddr_in6` (IPv4 mapped).
    public let isIPv6: Bool
    /// The bound address, with the port the kernel chose when binding to port 0. For an adopted
    /// socket without an IP address (a Unix socket), `SocketAddress.unspecifiedIPv4`.
    public private(set) var localAddress: SocketAddress
    /// What the kernel granted (`getsockopt`, which reports twice the requested size on Linux
    /// because it counts its bookkeeping).
    public private(set) var receiveBufferSize: Int
    public private(set) var sendBufferSize: Int
    /// Traffic and error counts, updated by `ReceiveBatch`, `SendBatch` and `send(_:to:)`.
    public internal(set) var counters = SocketCounters()

    public var isOpen: Bool { descriptor >= 0 }

    /// Opens a non-blocking UDP socket bound to `address` (port 0: the kernel picks one).
    public init(bindingTo address: SocketAddress, options: Options = Options()) throws(NetError) {
        let ipv6 = !address.isIPv4
        let fd = Glibc.socket(ipv6 ? AF_INET6 : AF_INET,
                              Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetError.lastError("socket(\(ipv6 ? "AF_INET6" : "AF_INET"), SOCK_DGRAM)") }
        descriptor = fd
        isIPv6 = ipv6
        localAddress = address
        receiveBufferSize = 0
        sendBufferSize = 0
        do throws(NetError) {
            if options.reusePort { try setOption(SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT") }
            if ipv6 { try setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, options.ipv6Only ? 1 : 0, "IPV6_V6ONLY") }
            if options.reportKernelDrops { try setOption(SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL") }
            if let size = options.receiveBufferSize {
                try setBufferSize(size, option: SO_RCVBUF, force: SO_RCVBUFFORCE, "SO_RCVBUF")
            }
            if let size = options.sendBufferSize {
                try setBufferSize(size, option: SO_SNDBUF, force: SO_SNDBUFFORCE, "SO_SNDBUF")
            }
            let result = address.withSockAddr(forIPv6Socket: ipv6) { Glibc.bind(fd, $0, $1) }
            guard result == 0 else { throw NetError.lastError("bind(\(address))") }
            try refreshLocalState()
        } catch {
            Glibc.close(fd)
            descriptor = -1
            throw error
        }
    }

    /// Takes ownership of a datagram socket made elsewhere (inherited from a supervisor, or a
    /// `socketpair` in tests) and makes it non-blocking. Closing this object closes `descriptor`.
    public init(adopting fd: Int32) throws(NetError) {
        descriptor = fd
        localAddress = .unspecifiedIPv4
        receiveBufferSize = 0
        sendBufferSize = 0
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { throw NetError.lastError("getsockname(fd \(fd))") }
        isIPv6 = Int32(storage.ss_family) == AF_INET6
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw NetError.lastError("fcntl(fd \(fd), O_NONBLOCK)")
        }
        try refreshLocalState()
    }

    deinit { close() }

    /// Sets the default destination and filters received datagrams to that peer. A connected
    /// socket learns of ICMP port-unreachable: the next receive or send reports `ECONNREFUSED`
    /// (counted, never thrown by the batches).
    public func connect(to address: SocketAddress) throws(NetError) {
        let result = address.withSockAddr(forIPv6Socket: isIPv6) { Glibc.connect(descriptor, $0, $1) }
        guard result == 0 else { throw NetError.lastError("connect(\(address))") }
        try refreshLocalState()
    }

    /// Closes the descriptor (epoll forgets it). Idempotent.
    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// Sends one datagram with `sendto` (nil: to the connected peer). Errors are counted like a
    /// batch's, never thrown. For many datagrams per loop turn use a `SendBatch`.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress?) -> Bool {
        guard descriptor >= 0 else { counters.sendOtherErrors &+= 1; counters.lastSendErrno = EBADF; return false }
        let sent: Int
        if let destination {
            sent = destination.withSockAddr(forIPv6Socket: isIPv6) {
                Glibc.sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, $1)
            }
        } else {
            sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT))
        }
        counters.sendCalls &+= 1
        if sent >= 0 {
            counters.datagramsSent &+= 1
            counters.bytesSent &+= UInt64(sent)
            return true
        }
        countSendError(Glibc.errno, datagrams: 1)
        return false
    }

    /// Receives one datagram with `recvfrom` into `buffer`: its length and source, or nil when
    /// nothing is waiting or the call failed (counted). A datagram longer than `buffer` is dropped
    /// and counted as truncated. For the loop's path use a `ReceiveBatch`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, source: SocketAddress)? {
        guard descriptor >= 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let received = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.recvfrom(descriptor, buffer.baseAddress, buffer.count,
                                   Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC), $0, &length)
                }
            }
            if received < 0 {
                let code = Glibc.errno
                if code == EAGAIN || code == EWOULDBLOCK { return nil }
                if code == EINTR { continue }
                countReceiveError(code)
                return nil
            }
            counters.receiveCalls &+= 1
            if received > buffer.count {
                counters.receiveTruncated &+= 1
                continue
            }
            counters.datagramsReceived &+= 1
            counters.bytesReceived &+= UInt64(received)
            let source = withUnsafeBytes(of: &storage) { SocketAddress(sockaddr: $0.baseAddress!, length: Int(length)) }
            return (received, source ?? .unspecifiedIPv4)
        }
    }

    // MARK: Shared with the batches

    /// Buckets a failed send; `datagrams` is how many datagrams the failure drops.
    @usableFromInline
    func countSendError(_ code: Int32, datagrams: Int) {
        let n = UInt64(datagrams)
        counters.lastSendErrno = code
        switch code {
        case EAGAIN, EWOULDBLOCK: counters.sendWouldBlock &+= n
        case ENOBUFS, ENOMEM: counters.sendNoBuffers &+= n
        case ECONNREFUSED: counters.sendRefused &+= n
        case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN: counters.sendUnreachable &+= n
        case EMSGSIZE: counters.sendTooLarge &+= n
        default: counters.sendOtherErrors &+= n
        }
    }

    @usableFromInline
    func countReceiveError(_ code: Int32) {
        counters.lastReceiveErrno = code
        if code == ECONNREFUSED { counters.receiveRefused &+= 1 } else { counters.receiveErrors &+= 1 }
    }

    // MARK: Setup helpers

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(NetError) {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw NetError.lastError("setsockopt(\(label))")
        }
    }

    private func getOption(_ level: Int32, _ name: Int32, _ label: String) throws(NetError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, level, name, &value, &length) == 0 else {
            throw NetError.lastError("getsockopt(\(label))")
        }
        return value
    }

    private func setBufferSize(_ size: Int, option: Int32, force: Int32, _ label: String) throws(NetError) {
        guard size > 0, size <= Int(Int32.max / 2) else {
            throw .invalidArgument("\(label) size \(size) is out of range (1…\(Int32.max / 2) bytes)")
        }
        try setOption(SOL_SOCKET, option, Int32(size), label)
        // Why: the kernel silently caps SO_RCVBUF/SO_SNDBUF at rmem_max/wmem_max; the FORCE
        // variants bypass the cap when we have CAP_NET_ADMIN. Failure just leaves the capped size.
        if try getOption(SOL_SOCKET, option, label) < Int32(size) {
            var value = Int32(size)
            _ = setsockopt(descriptor, SOL_SOCKET, force, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    private func refreshLocalState() throws(NetError) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard ok == 0 else { throw NetError.lastError("getsockname") }
        if let address = withUnsafeBytes(of: &storage, { SocketAddress(sockaddr: $0.baseAddress!, length: Int(length)) }) {
            localAddress = address
        }
        receiveBufferSize = Int(try getOption(SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"))
        sendBufferSize = Int(try getOption(SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"))
    }
}
