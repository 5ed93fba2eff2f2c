import PodiumCrypto
import PodiumNet
import PodiumSDP
import PodiumWire

/// One worker (DESIGN.md §3): an `EventLoop` thread owning one UDP `TransportEndpoint` that every
/// transport of the worker's rooms shares, and the DTLS context they present. Routers live on the
/// worker's loop; everything media-related runs there.
///
/// Threading: `index`, `loop`, `context`, `port`, `candidate` and `shutdown()` are safe from any
/// thread. `endpoint` and `counters` belong to the loop thread: reach them through
/// `loop.submit { … }` / `loop.execute { … }`, never from the packet path of another worker. That
/// confinement is what makes `@unchecked Sendable` sound here.
public final class Worker: @unchecked Sendable {
    /// The worker's position in its SFU (names its thread `podium-w<index>`).
    public let index: Int
    public let loop: EventLoop
    /// The certificate every transport of this worker presents.
    public let context: DTLSContext
    /// The bound UDP port (the real one when bound to port 0).
    public let port: UInt16
    /// The host candidate announced in SDP: the announced IP (or the bound one) and the port.
    public let candidate: (ip: String, port: UInt16)
    /// The worker's socket and its transports. Use on the loop thread only.
    public let endpoint: TransportEndpoint

    private init(index: Int, loop: EventLoop, context: DTLSContext, endpoint: TransportEndpoint) {
        self.index = index
        self.loop = loop
        self.context = context
        self.endpoint = endpoint
        self.port = endpoint.localAddress.port
        self.candidate = endpoint.candidate
    }

    /// Starts the loop thread and binds the worker's socket on it. On failure nothing is left
    /// running.
    public static func start(index: Int, listen: SocketAddress, announcedIP: String?, context: DTLSContext,
                             socketOptions: UDPSocket.Options = .init()) async throws(WorkerError) -> Worker {
        let loop: EventLoop
        do {
            loop = try EventLoop(name: "podium-w\(index)")
        } catch {
            throw .start("worker \(index): cannot start its event loop: \(error)")
        }
        let configuration = TransportEndpoint.Configuration(listen: listen, announcedIP: announcedIP, socketOptions: socketOptions)
        do {
            return try await loop.submit {
                let endpoint = try TransportEndpoint(loop: loop, configuration: configuration)
                return Worker(index: index, loop: loop, context: context, endpoint: endpoint)
            }
        } catch {
            loop.shutdown()
            throw .start("worker \(index): cannot bind UDP \(listen): \(error)")
        }
    }

    /// Closes the endpoint (every transport still on it, then the socket) on the loop, ends the
    /// loop thread and joins it. Idempotent. Owners close their routers first (through the loop),
    /// so their peers see orderly closes.
    public func shutdown() async {
        // Why an explicit hop: `EventLoop.shutdown` joins the thread, which must not happen on the
        // loop thread itself; and the endpoint must be closed on its loop.
        let endpoint = UncheckedBox(self.endpoint)
        _ = try? await loop.submit { endpoint.value.close() }
        let loop = self.loop
        await Task.detached { loop.shutdown() }.value
    }

    /// What an SDP answer or offer says about this worker's end of a new transport: `ice`, the
    /// certificate's fingerprint and the worker's host candidate. Any thread.
    public func localDescription(ice: ICECredentials) -> LocalTransportDescription {
        let f = context.certificate.fingerprint
        return LocalTransportDescription(iceUfrag: ice.ufrag, icePwd: ice.pwd,
                                         fingerprint: SDPFingerprint(algorithm: f.algorithm.sdpName, bytes: f.digest),
                                         candidates: [candidate])
    }

    /// Creates an ICE-lite transport on the worker's endpoint for a peer described by `remote`.
    /// Loop thread only.
    public func makeTransport(localICE: ICECredentials, remote: RemoteTransportDescription, dtlsRole: DTLSSession.Role,
                              connectTimeout: Duration) throws(TransportError) -> WebRtcTransport {
        let fingerprints = remote.dtlsFingerprints
        guard !fingerprints.isEmpty else {
            throw .dtls("none of the peer's fingerprints uses a hash Podium knows (\(remote.fingerprints.map(\.algorithm)))")
        }
        return try WebRtcTransport(endpoint: endpoint, context: context, configuration: .init(
            iceMode: .lite, localICE: localICE, remoteICE: ICECredentials(ufrag: remote.iceUfrag, pwd: remote.icePwd),
            dtlsRole: dtlsRole, remoteFingerprints: fingerprints, connectTimeout: connectTimeout))
    }

    /// The worker's counters. Loop thread only.
    public var counters: WorkerCounters {
        WorkerCounters(loop: loop.counters, endpoint: endpoint.counters, socket: endpoint.socket.counters,
                       transports: endpoint.transportCount)
    }
}

/// A worker's counters, read on its loop.
public struct WorkerCounters: Sendable, Hashable {
    public var loopTurns: UInt64
    public var commandsRun: UInt64
    public var datagramsReceived: UInt64
    /// Datagrams the endpoint dropped before any transport (unknown source, bad STUN…).
    public var datagramsDropped: UInt64
    /// Sends the kernel refused (any reason).
    public var sendErrors: UInt64
    /// Transports on the endpoint now.
    public var transports: Int

    init(loop: EventLoopCounters, endpoint: TransportEndpoint.Counters, socket: SocketCounters, transports: Int) {
        loopTurns = loop.turns
        commandsRun = loop.commandsRun
        datagramsReceived = endpoint.datagramsReceived
        datagramsDropped = endpoint.dropped
        sendErrors = socket.sendWouldBlock + socket.sendNoBuffers + socket.sendRefused + socket.sendUnreachable
            + socket.sendTooLarge + socket.sendOtherErrors
        self.transports = transports
    }
}

/// Why a worker could not start.
public enum WorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    case start(String)
    public var description: String {
        switch self {
        case .start(let why): why
        }
    }
}

extension RemoteTransportDescription {
    /// The peer's `a=fingerprint` lines whose hash Podium can check, as DTLS fingerprints.
    public var dtlsFingerprints: [DTLSFingerprint] {
        fingerprints.compactMap { f in
            guard let algorithm = DTLSFingerprint.Algorithm(sdpName: f.algorithm) else { return nil }
            return try? DTLSFingerprint(algorithm: algorithm, digest: f.bytes)
        }
    }
}

/// Carries a loop-confined value into a command for that loop. Sound only when the value is used
/// on the loop it belongs to (the command's), which every user of this box guarantees.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
