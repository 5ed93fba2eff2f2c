import Foundation

/// Bytes from a hex string; whitespace, newlines and `//` comments to the end of a line are ignored,
/// so tests can annotate one header word per line.
public func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var nibble: UInt8? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.range(of: "//").map { line[..<$0.lowerBound] } ?? line[...]
        for c in code.unicodeScalars {
            let v: UInt8
            switch c {
            case "0"..."9": v = UInt8(c.value - 48)
            case "a"..."f": v = UInt8(c.value - 87)
            case "A"..."F": v = UInt8(c.value - 55)
            case " ", "\t", "\r", ":": continue
            default: preconditionFailure("not hex: \(c)")
            }
            if let hi = nibble { out.append(hi << 4 | v); nibble = nil } else { nibble = v }
        }
    }
    precondition(nibble == nil, "odd number of hex digits")
    return out
}

/// Lowercase hex of bytes, for readable expectations.
public func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Root of the repository (the folder holding Package.swift).
public let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// `../shared/fixtures` beside the repository, as CI lays it out.
public let sharedFixtures = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
/// The repository's own `Tests/Fixtures`.
public let localFixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

/// Runs `body` over a copy of `bytes` in a fresh buffer of exactly that size (so an out-of-bounds
/// read would hit the end of the allocation under ASan), returning its result.
public func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { p.deallocate() }
    if !bytes.isEmpty { p.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count)) }
    return try body(UnsafeRawBufferPointer(rebasing: p[0..<bytes.count]))
}
