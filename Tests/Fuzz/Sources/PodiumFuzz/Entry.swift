import Foundation

/// libFuzzer entry point. The target is picked once per process from PODIUM_FUZZ_TARGET.
@_cdecl("LLVMFuzzerTestOneInput")
public func podiumFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Copy into an exactly-sized allocation so AddressSanitizer catches a read one byte past the end.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 1)
    defer { buffer.deallocate() }
    if size > 0, let data { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    selectedTarget(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
    return 0
}

/// libFuzzer start-up hook: `PODIUM_FUZZ_TARGET=list` prints every target name and exits.
@_cdecl("LLVMFuzzerInitialize")
public func podiumFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    if ProcessInfo.processInfo.environment["PODIUM_FUZZ_TARGET"] == "list" {
        print(fuzzTargets.keys.sorted().joined(separator: "\n"))
        exit(0)
    }
    _ = selectedTarget
    return 0
}

let selectedTarget: @Sendable (UnsafeRawBufferPointer) -> Void = {
    let name = ProcessInfo.processInfo.environment["PODIUM_FUZZ_TARGET"] ?? ""
    guard let target = fuzzTargets[name] else {
        FileHandle.standardError.write(Data("PODIUM_FUZZ_TARGET must be one of: \(fuzzTargets.keys.sorted().joined(separator: " "))\n".utf8))
        exit(2)
    }
    return target
}()

/// A fuzz check that failed: report and crash so libFuzzer keeps the input.
func fuzzFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz invariant violated: \(message)\n".utf8))
    abort()
}
