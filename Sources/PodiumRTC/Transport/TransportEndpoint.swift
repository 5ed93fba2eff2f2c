import PodiumCrypto
import PodiumNet
import PodiumWire

/// One UDP socket on a worker, shared by every transport on it (DESIGN.md §3): datagrams are
/// demultiplexed by their source address; a source the endpoint does not know is accepted only
/// through a STUN Binding request that names a transport's ufrag and passes its MESSAGE-INTEGRITY.
/// Nothing else from an unknown source creates state: DTLS, RTP, garbage are counted and dropped.
///
/// Threading: confined to its `EventLoop`. Create it, its transports, and call every method on the
/// loop thread (from outside, through `loop.submit`).
public final class TransportEndpoint: DatagramReceiver {
    public struct Configuration: Sendable {
        /// The address to bind (port 0: any free port).
        public var listen: SocketAddress
        /// The IP put into candidates when it differs from the bound one (NAT, cloud, 0.0.0.0).
        public var announcedIP: String?
        public var socketOptions: UDPSocket.Options
        /// Datagrams per sendmmsg batch; small for client endpoints (one per transport).
        public var sendBatchCapacity: Int
        /// Validated source addresses one transport may hold (network changes, several candidates).
        public var maxAddressesPerTransport: Int
        /// Transports one endpoint may hold (bounds the ufrag table).
        public var maxTransports: Int

        public init(listen: SocketAddress, announcedIP: String? = nil, socketOptions: UDPSocket.Options = .init(),
                    sendBatchCapacity: Int = 64, maxAddressesPerTransport: Int = 4, maxTransports: Int = 65_536) {
            self.listen = listen
            self.announcedIP = announcedIP
            self.socketOptions = socketOptions
            self.sendBatchCapacity = sendBatchCapacity
            self.maxAddressesPerTransport = maxAddressesPerTransport
            self.maxTransports = maxTransports
        }
    }

    /// Datagrams dropped before reaching a transport, by reason.
    public struct Counters: Sendable, Hashable {
        public var datagramsReceived: UInt64 = 0
        /// Not STUN, from a source no transport has validated (DTLS, RTP, garbage).
        public var unverifiedSource: UInt64 = 0
        /// STUN from an unknown source that does not parse, or is not a Binding request.
        public var malformedSTUN: UInt64 = 0
        /// A Binding request from an unknown source whose USERNAME names no transport here.
        public var unknownUsername: UInt64 = 0
        /// A Binding request for a known transport that failed its checks (integrity, fingerprint…).
        public var unauthenticatedSTUN: UInt64 = 0
        public init() {}

        public var dropped: UInt64 { unverifiedSource + malformedSTUN + unknownUsername + unauthenticatedSTUN }
    }

    public let loop: EventLoop
    public let configuration: Configuration
    public let socket: UDPSocket
    let sendBatch: SendBatch
    public private(set) var counters = Counters()

    var byAddress: [SocketAddress: WebRtcTransport] = [:]
    var byUfrag: ICEUfragTable<WebRtcTransport>
    /// Where STUN responses are written before being queued (one at a time, on the loop thread).
    let stunScratch: UnsafeMutableRawBufferPointer
    private var turnEndHandler: TurnEndHandlerID?
    private var nextTransportID = 1
    private var transports: [ObjectIdentifier: WebRtcTransport] = [:]
    /// Transports on this endpoint (not yet closed or failed).
    public var transportCount: Int { transports.count }

    /// Binds the socket and registers it with `loop`. Call on the loop thread.
    public init(loop: EventLoop, configuration: Configuration) throws(NetError) {
        precondition(loop.isInLoop, "TransportEndpoint must be created on its event loop")
        self.loop = loop
        self.configuration = configuration
        self.socket = try UDPSocket(bindingTo: configuration.listen, options: configuration.socketOptions)
        self.sendBatch = SendBatch(socket: socket, capacity: configuration.sendBatchCapacity)
        self.byUfrag = ICEUfragTable(capacity: configuration.maxTransports)
        self.stunScratch = .allocate(byteCount: 512, alignment: 8)
        do {
            try loop.register(socket, receiver: self)
        } catch {
            socket.close()
            stunScratch.deallocate()
            throw error
        }
        let batch = sendBatch
        turnEndHandler = loop.addTurnEndHandler { batch.flush() }
    }

    deinit {
        stunScratch.deallocate()
    }

    /// The bound address (with the real port when bound to port 0).
    public var localAddress: SocketAddress { socket.localAddress }

    /// The host candidate to announce: the announced IP, else the bound one, with the bound port.
    public var candidate: (ip: String, port: UInt16) {
        let bound = socket.localAddress
        return (configuration.announcedIP ?? bound.ipText, bound.port)
    }

    /// Closes every transport and the socket. Call on the loop thread.
    public func close() {
        for t in allTransports { t.close() }
        if let h = turnEndHandler { loop.removeTurnEndHandler(h) }
        turnEndHandler = nil
        sendBatch.flush()
        _ = loop.unregister(socket)
        socket.close()
    }

    var allTransports: [WebRtcTransport] { Array(transports.values) }

    // MARK: Transports

    func add(_ transport: WebRtcTransport, ufrag: String?) throws(TransportError) {
        guard transportCount < configuration.maxTransports else { throw .endpointFull(configuration.maxTransports) }
        if let ufrag {
            do { try byUfrag.insert(transport, forUfrag: ufrag) } catch { throw .iceCredentials("\(error)") }
        }
        transports[ObjectIdentifier(transport)] = transport
    }

    func remove(_ transport: WebRtcTransport) {
        guard transports.removeValue(forKey: ObjectIdentifier(transport)) != nil else { return }
        _ = byUfrag.removeValue(forUfrag: transport.localICE.ufrag)
        for address in transport.validatedAddresses where byAddress[address] === transport {
            byAddress[address] = nil
        }
    }

    func replaceUfrag(of transport: WebRtcTransport, old: String, new: String) throws(TransportError) {
        _ = byUfrag.removeValue(forUfrag: old)
        do { try byUfrag.insert(transport, forUfrag: new) } catch { throw .iceCredentials("\(error)") }
    }

    /// Maps `address` to `transport` (after an authenticated STUN request). An address another
    /// transport held moves over: the newest authenticated user of a 5-tuple wins.
    func bind(_ address: SocketAddress, to transport: WebRtcTransport) {
        if let other = byAddress[address], other !== transport { other.forget(address) }
        byAddress[address] = transport
    }

    func unbind(_ address: SocketAddress, from transport: WebRtcTransport) {
        if byAddress[address] === transport { byAddress[address] = nil }
    }

    func makeTransportID() -> Int {
        defer { nextTransportID += 1 }
        return nextTransportID
    }

    // MARK: Sending

    /// Queues a datagram (STUN, DTLS) by copy.
    func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) {
        sendBatch.enqueue(copying: bytes, to: destination)
    }

    // MARK: Receiving

    public func receive(_ batch: ReceiveBatch, count: Int) {
        counters.datagramsReceived &+= UInt64(count)
        let now = UInt64(truncatingIfNeeded: loop.turnTime.nanoseconds)
        for i in 0..<count {
            let bytes = batch.bytes(i)
            let source = batch.source(i)
            let kind = DatagramKind(classifying: UnsafeRawBufferPointer(bytes))
            if let transport = byAddress[source] {
                transport.handle(bytes, kind: kind, from: source, now: now)
            } else if kind == .stun {
                handleUnknownSourceSTUN(bytes, from: source, now: now)
            } else {
                counters.unverifiedSource &+= 1
            }
        }
    }

    private func handleUnknownSourceSTUN(_ bytes: UnsafeMutableRawBufferPointer, from source: SocketAddress, now: UInt64) {
        guard let message = try? STUNMessage(parsing: UnsafeRawBufferPointer(bytes)),
              message.type.method == .binding else {
            counters.malformedSTUN &+= 1
            return
        }
        guard let transport = byUfrag.value(for: message) else {
            counters.unknownUsername &+= 1
            return
        }
        if !transport.handleSTUN(message, from: source, now: now) {
            counters.unauthenticatedSTUN &+= 1
        }
    }
}

/// Why a transport could not be created or changed.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    case endpointFull(Int)
    case iceCredentials(String)
    case dtls(String)
    case invalidState(String)

    public var description: String {
        switch self {
        case .endpointFull(let n): "the endpoint already holds its maximum of \(n) transports"
        case .iceCredentials(let s): "ICE credentials rejected: \(s)"
        case .dtls(let s): "DTLS setup failed: \(s)"
        case .invalidState(let s): s
        }
    }
}

extension SocketAddress {
    /// The IP alone, as SDP writes it: `192.0.2.1` or `2001:db8::1` (no brackets, no port).
    var ipText: String {
        let text = description
        guard let colon = text.lastIndex(of: ":") else { return text }
        return String(text[..<colon].filter { $0 != "[" && $0 != "]" })
    }
}
