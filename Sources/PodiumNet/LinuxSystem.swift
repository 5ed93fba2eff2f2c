import Glibc

/// The Linux calls Swift's `Glibc` module does not import, resolved once through `dlsym`.
///
/// Why: `Glibc` is built without `_GNU_SOURCE` and without `<sys/epoll.h>`/`<sys/eventfd.h>`, so
/// `epoll_*`, `eventfd`, `recvmmsg`, `sendmmsg` and `struct mmsghdr` are missing. Calling through
/// `@convention(c)` pointers keeps the C ABI exact without a C target; a C shim target would remove
/// this file (see Docs/Networking.md).
@usableFromInline
struct LinuxCalls: @unchecked Sendable {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias RecvMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutablePointer<timespec>?) -> Int32
    typealias SendMMsg = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32
    typealias SetThreadName = @convention(c) (pthread_t, UnsafePointer<CChar>?) -> Int32

    let epollCreate1: EpollCreate1
    let epollCtl: EpollCtl
    let epollWait: EpollWait
    let eventFD: EventFD
    let recvmmsg: RecvMMsg
    let sendmmsg: SendMMsg
    let setThreadName: SetThreadName?

    static let shared = LinuxCalls()

    private init() {
        func resolve<F>(_ name: String, as type: F.Type) -> F {
            guard let symbol = dlsym(nil, name) else { fatalError("PodiumNet: libc has no \(name)") }
            return unsafeBitCast(symbol, to: type)
        }
        epollCreate1 = resolve("epoll_create1", as: EpollCreate1.self)
        epollCtl = resolve("epoll_ctl", as: EpollCtl.self)
        epollWait = resolve("epoll_wait", as: EpollWait.self)
        eventFD = resolve("eventfd", as: EventFD.self)
        recvmmsg = resolve("recvmmsg", as: RecvMMsg.self)
        sendmmsg = resolve("sendmmsg", as: SendMMsg.self)
        setThreadName = dlsym(nil, "pthread_setname_np").map { unsafeBitCast($0, to: SetThreadName.self) }
    }
}

/// Constants from `<sys/epoll.h>` and `<sys/eventfd.h>` (identical on every Linux architecture).
enum LinuxConstants {
    static let epollIn: UInt32 = 0x001
    static let epollErr: UInt32 = 0x008
    static let epollHup: UInt32 = 0x010
    static let epollCtlAdd: Int32 = 1
    static let epollCtlDel: Int32 = 2
    static let epollCloexec: Int32 = 0o2000000
    static let eventFDNonBlock: Int32 = 0o4000
    static let eventFDCloexec: Int32 = 0o2000000

    /// `struct epoll_event` is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    static let epollDataOffset = 4
    #else
    static let epollEventSize = 16
    static let epollDataOffset = 8
    #endif
}

/// `struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }` laid out by hand in raw memory.
@usableFromInline
enum MMsgLayout {
    @usableFromInline static let lengthOffset = MemoryLayout<msghdr>.size
    @usableFromInline static let stride = (MemoryLayout<msghdr>.size + 4 + MemoryLayout<msghdr>.alignment - 1)
        & ~(MemoryLayout<msghdr>.alignment - 1)
}

/// The errno text, for error messages only (never on the packet path).
func errnoText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}
