/// Errors from the media codecs and sources. Library failures keep the library's own message
/// (`opus_strerror`, `vpx_codec_error_detail`) so a log line says what libvpx or libopus objected to.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libvpx or libopus call failed.
    case codec(library: String, call: String, code: Int32, message: String)
    /// A configuration or input the codec cannot take (odd size, zero bitrate, wrong sample count).
    case invalidArgument(String)
    /// The decoder rejected the data.
    case corruptFrame(String)

    public var description: String {
        switch self {
        case let .codec(library, call, code, message): "\(library): \(call) failed (\(code)): \(message)"
        case let .invalidArgument(what): "invalid argument: \(what)"
        case let .corruptFrame(what): "corrupt frame: \(what)"
        }
    }
}
