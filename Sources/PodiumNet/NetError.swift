import Glibc

/// What went wrong in the socket layer, saying which call failed and why.
public enum NetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed. `operation` names the call and its subject, such as
    /// `bind(127.0.0.1:40000)` or `setsockopt(SO_REUSEPORT)`.
    case systemCall(operation: String, errno: Int32)
    /// The event loop has shut down, so the command was not run.
    case loopShutDown(loop: String)
    /// An argument the socket layer cannot use, explained.
    case invalidArgument(String)

    /// The errno of a failed system call, else nil.
    public var errno: Int32? {
        if case .systemCall(_, let code) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .systemCall(let operation, let code):
            return "\(operation) failed: \(errnoText(code)) (errno \(code))"
        case .loopShutDown(let loop):
            return "event loop '\(loop)' has shut down; the command was not run"
        case .invalidArgument(let text):
            return text
        }
    }

    /// The error for the call that just failed, reading the thread's errno.
    static func lastError(_ operation: @autoclosure () -> String) -> NetError {
        let code = Glibc.errno
        return .systemCall(operation: operation(), errno: code)
    }
}
