import PodiumRTC

/// A transport's counters and state, as a plain value.
public struct SessionStats: Sendable, Hashable, Codable {
    /// Whether the session publishes (WHIP) or subscribes (WHEP or server-initiated).
    public enum Direction: String, Sendable, Hashable, Codable { case publish, subscribe }
    public var id: SessionID
    public var direction: Direction
    /// The transport's state, as in `RoomEvent.sessionStateChanged`.
    public var state: String
    public var bytesReceived: UInt64
    public var bytesSent: UInt64
    public var rtpPacketsReceived: UInt64
    public var rtpPacketsSent: UInt64
    public var rtcpPacketsReceived: UInt64
    public var rtcpPacketsSent: UInt64
    public var decryptFailures: UInt64
    public var sendDropped: UInt64
    /// Milliseconds from session creation to DTLS connected, when connected.
    public var connectMilliseconds: Double?
    public var producers: [ProducerStats]
    public var consumers: [ConsumerStats]

    public init(id: SessionID, direction: Direction, state: String, bytesReceived: UInt64 = 0, bytesSent: UInt64 = 0,
                rtpPacketsReceived: UInt64 = 0, rtpPacketsSent: UInt64 = 0, rtcpPacketsReceived: UInt64 = 0,
                rtcpPacketsSent: UInt64 = 0, decryptFailures: UInt64 = 0, sendDropped: UInt64 = 0,
                connectMilliseconds: Double? = nil, producers: [ProducerStats] = [], consumers: [ConsumerStats] = []) {
        self.id = id
        self.direction = direction
        self.state = state
        self.bytesReceived = bytesReceived
        self.bytesSent = bytesSent
        self.rtpPacketsReceived = rtpPacketsReceived
        self.rtpPacketsSent = rtpPacketsSent
        self.rtcpPacketsReceived = rtcpPacketsReceived
        self.rtcpPacketsSent = rtcpPacketsSent
        self.decryptFailures = decryptFailures
        self.sendDropped = sendDropped
        self.connectMilliseconds = connectMilliseconds
        self.producers = producers
        self.consumers = consumers
    }
}

/// One participant and its open sessions.
public struct ParticipantStats: Sendable, Hashable, Codable {
    public var info: ParticipantInfo
    public var sessions: [SessionStats]
    public init(info: ParticipantInfo, sessions: [SessionStats]) {
        self.info = info
        self.sessions = sessions
    }
}

/// One room: its worker, participants and router (producers and consumers).
public struct RoomStats: Sendable, Hashable, Codable {
    public var name: String
    public var worker: Int
    public var participants: [ParticipantStats]
    /// The room's router: every producer and consumer (nil when the worker could not be reached).
    public var router: RouterStats?
    public init(name: String, worker: Int, participants: [ParticipantStats], router: RouterStats? = nil) {
        self.name = name
        self.worker = worker
        self.participants = participants
        self.router = router
    }
}

/// One worker thread: its loop, socket and endpoint counters.
public struct WorkerStats: Sendable, Hashable, Codable {
    public var index: Int
    /// The worker's bound UDP port.
    public var port: UInt16
    public var rooms: Int
    public var transports: Int
    public var loopTurns: UInt64
    public var datagramsReceived: UInt64
    /// Datagrams the endpoint dropped (unknown source, bad STUN…).
    public var datagramsDropped: UInt64
    public var sendErrors: UInt64
    public init(index: Int, port: UInt16, rooms: Int, transports: Int, loopTurns: UInt64, datagramsReceived: UInt64,
                datagramsDropped: UInt64, sendErrors: UInt64) {
        self.index = index
        self.port = port
        self.rooms = rooms
        self.transports = transports
        self.loopTurns = loopTurns
        self.datagramsReceived = datagramsReceived
        self.datagramsDropped = datagramsDropped
        self.sendErrors = sendErrors
    }
}

/// Everything: workers in order, rooms by name.
public struct SFUStats: Sendable, Hashable, Codable {
    public var workers: [WorkerStats]
    public var rooms: [RoomStats]
    public init(workers: [WorkerStats], rooms: [RoomStats]) {
        self.workers = workers
        self.rooms = rooms
    }
}
