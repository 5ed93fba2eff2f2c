import Testing
import PodiumTestSupport
import PodiumCrypto
import PodiumWire

/// `HMACSHA1` against RFC 2202 §3, and reuse of one keyed context across messages.
@Suite struct HMACSHA1Tests {
    private static func mac(_ key: HMACSHA1, _ parts: [UInt8]...) -> String {
        var out = [UInt8](repeating: 0, count: 20)
        let p = parts + Array(repeating: [], count: 3 - parts.count)
        let ok = withBytes(p[0]) { a in
            withBytes(p[1]) { b in
                withBytes(p[2]) { c in out.withUnsafeMutableBytes { key.hmacSHA1(a, b, c, into: $0) } }
            }
        }
        #expect(ok)
        return hexString(out)
    }

    @Test(arguments: [
        // RFC 2202 §3 test cases 1, 2, 3, 4, 6, 7.
        (Array(repeating: UInt8(0x0b), count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (Array(repeating: 0xaa, count: 20), Array(repeating: 0xdd, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        (hexBytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), Array(repeating: 0xcd, count: 50),
         "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        (Array(repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        (Array(repeating: 0xaa, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ])
    func rfc2202(key: [UInt8], data: [UInt8], digest: String) throws {
        let h = HMACSHA1(key: key)
        #expect(Self.mac(h, data) == digest)
        // Any split into three parts gives the same digest, and the context is reusable.
        for cut in [0, 1, data.count / 2, data.count] {
            #expect(Self.mac(h, Array(data[..<cut]), [], Array(data[cut...])) == digest)
            #expect(Self.mac(h, [], Array(data[..<cut]), Array(data[cut...])) == digest)
        }
    }

    @Test func emptyKeyAndEmptyMessage() throws {
        // HMAC-SHA1 with an empty key over an empty message (a well-known value).
        let h = HMACSHA1(key: [])
        #expect(Self.mac(h, []) == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d")
        var out = [UInt8](repeating: 0, count: 20)
        #expect(withBytes([]) { m in out.withUnsafeMutableBytes { h.authenticate(m, into: $0) } })
        #expect(hexString(out) == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d")
    }

    @Test func refusesAShortDigestBuffer() throws {
        let h = HMACSHA1(password: "x")
        var out = [UInt8](repeating: 0, count: 19)
        #expect(!withBytes([1, 2, 3]) { m in out.withUnsafeMutableBytes { h.authenticate(m, into: $0) } })
    }
}
