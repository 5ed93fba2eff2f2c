/// CRC-32 of RFC 1952 §8 (ISO 3309 / ITU-T V.42: reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF), as STUN FINGERPRINT uses it (RFC 8489 §14.7). Table-driven, pure Swift.
public enum CRC32 {
    /// Eight 256-entry tables: `tables[n]` is the classic byte table; `tables[k * 256 + n]` advances
    /// it by k more zero bytes ("slicing-by-8", 8 bytes per step instead of one).
    @usableFromInline
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let prev = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// Continues a running CRC (pass the previous result; start with 0).
    @inlinable
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        var c = ~crc
        var i = 0
        let n = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t = t.baseAddress!
            @inline(__always) func at(_ table: Int, _ v: UInt32) -> UInt32 { t[table << 8 | Int(v & 0xFF)] }
            while n - i >= 8 {
                let one = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let two = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = at(7, one) ^ at(6, one >> 8) ^ at(5, one >> 16) ^ at(4, one >> 24)
                    ^ at(3, two) ^ at(2, two >> 8) ^ at(1, two >> 16) ^ at(0, two >> 24)
                i += 8
            }
            while i < n {
                c = at(0, c ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }
}
