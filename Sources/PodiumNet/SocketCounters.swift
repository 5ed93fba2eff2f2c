/// What one socket has done since it was opened. Updated by the batches on the socket's loop
/// thread; read it there (for example inside `EventLoop.submit`).
///
/// Why so many error buckets: UDP errors are normal traffic for an SFU (a browser tab closes and the
/// next packets bounce), so they are counted and never thrown; the buckets tell an operator which
/// one is happening.
public struct SocketCounters: Sendable, Equatable, CustomStringConvertible {
    /// Datagrams handed to the receiver (truncated ones excluded).
    public var datagramsReceived: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Datagrams larger than a receive slot: dropped, never delivered cut short.
    public var receiveTruncated: UInt64 = 0
    /// Datagrams the kernel dropped before we read them (receive buffer full), as reported by
    /// `SO_RXQ_OVFL`. Cumulative kernel figure, updated whenever a datagram carries it.
    public var receiveKernelDrops: UInt64 = 0
    /// `ECONNREFUSED` reported by a receive call: an ICMP port-unreachable for an *earlier* send
    /// (connected sockets only, unless `IP_RECVERR` is on).
    public var receiveRefused: UInt64 = 0
    /// Other failed receive calls.
    public var receiveErrors: UInt64 = 0
    /// `recvmmsg` calls that returned datagrams.
    public var receiveCalls: UInt64 = 0

    public var datagramsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Datagrams dropped because the send buffer was full (`EAGAIN`).
    public var sendWouldBlock: UInt64 = 0
    /// Datagrams dropped for lack of kernel memory or a full device queue (`ENOBUFS`).
    public var sendNoBuffers: UInt64 = 0
    /// Sends failing with `ECONNREFUSED` (an ICMP port-unreachable for an earlier send).
    public var sendRefused: UInt64 = 0
    /// Datagrams not sent because there is no route (`EHOSTUNREACH`, `ENETUNREACH`).
    public var sendUnreachable: UInt64 = 0
    /// Datagrams larger than a send slot or than the path allows (`EMSGSIZE`).
    public var sendTooLarge: UInt64 = 0
    /// Datagrams refused for any other reason (`EPERM` from a firewall, `EAFNOSUPPORT`, `EINVAL`…).
    public var sendOtherErrors: UInt64 = 0
    /// `sendmmsg` calls made.
    public var sendCalls: UInt64 = 0

    /// errno of the most recent failed receive or send, 0 if none: a hint for the operator.
    public var lastReceiveErrno: Int32 = 0
    public var lastSendErrno: Int32 = 0

    public init() {}

    public var description: String {
        "rx \(datagramsReceived) dgrams/\(bytesReceived) B in \(receiveCalls) calls (truncated \(receiveTruncated), "
            + "kernel drops \(receiveKernelDrops), refused \(receiveRefused), errors \(receiveErrors)); "
            + "tx \(datagramsSent) dgrams/\(bytesSent) B in \(sendCalls) calls (would block \(sendWouldBlock), "
            + "no buffers \(sendNoBuffers), refused \(sendRefused), unreachable \(sendUnreachable), "
            + "too large \(sendTooLarge), other \(sendOtherErrors))"
    }
}
