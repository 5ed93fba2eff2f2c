import Foundation
import PodiumMedia
import PodiumWire
import Testing

@Suite struct IVFContainerTests {
    /// Reads every frame of `bytes` until the end or the first error.
    static func readAll(_ bytes: [UInt8]) -> (header: IVFHeader?, frames: [IVFFrame], error: ContainerError?) {
        var frames: [IVFFrame] = []
        do throws(ContainerError) {
            let r = try IVFReader(bytes: bytes)
            while let f = try r.next() { frames.append(f) }
            return (r.header, frames, nil)
        } catch {
            return (nil, frames, error)
        }
    }

    @Test func headerRoundTrip() throws {
        let h = IVFHeader(width: 640, height: 480, timebaseDenominator: 30, timebaseNumerator: 1, frameCount: 7)
        let bytes = h.encoded()
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<12]) == [0x44, 0x4B, 0x49, 0x46, 0, 0, 32, 0, 0x56, 0x50, 0x38, 0x30])
        let back = try bytes.withUnsafeBytes { try IVFHeader(parsing: $0) }
        #expect(back == h)
        #expect(back.codec == "VP80" && back.isVP8)
    }

    @Test func writerOutputReadsBack() throws {
        let out = MediaOutput()
        let w = try IVFWriter(output: out, header: IVFHeader(width: 2, height: 2, timebaseDenominator: 1000))
        try w.append([0x10, 0x02, 0x00], pts: 0)
        try w.append([], pts: 33)
        try w.append([UInt8](repeating: 7, count: 1000), pts: -5)
        try w.finish()
        #expect(out.bytes.count == 32 + 3 * 12 + 1003)
        let (header, frames, error) = Self.readAll(out.bytes)
        #expect(error == nil)
        #expect(header?.frameCount == 3)
        #expect(frames.map(\.pts) == [0, 33, -5])
        #expect(frames.map(\.data.count) == [3, 0, 1000])
        #expect(frames[0].isVP8Keyframe && !frames[1].isVP8Keyframe)
    }

    @Test func fileOutputAndInputWithLargeAndSmallFrames() throws {
        // Frames above the 64 KiB write buffer and the 32 KiB direct-read threshold, between small
        // ones, through the file paths of MediaOutput and MediaInput.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("podium-ivf-\(UUID().uuidString).ivf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sizes = [5, 100_000, 3, 40_000, 70_000, 1, 65_536, 0, 9]
        let w = try IVFWriter(path: path, header: IVFHeader(width: 8, height: 8, timebaseDenominator: 90000))
        for (i, n) in sizes.enumerated() { try w.append((0..<n).map { UInt8(truncatingIfNeeded: $0 &+ i) }, pts: Int64(i) * 3000) }
        try w.finish()
        let r = try IVFReader(path: path)
        #expect(r.header.frameCount == UInt32(sizes.count))
        var i = 0
        while let f = try r.next() {
            #expect(f.data == (0..<sizes[i]).map { UInt8(truncatingIfNeeded: $0 &+ i) } && f.pts == Int64(i) * 3000)
            i += 1
        }
        #expect(i == sizes.count)
        #expect(throws: ContainerError.self) { try IVFReader(path: path + ".missing") }
    }

    @Test func badHeadersAreTypedErrors() {
        var good = IVFHeader(width: 1, height: 1, timebaseDenominator: 30).encoded()
        var bad = good; bad[0] = 0x45
        #expect(Self.readAll(bad).error?.kind == .malformed)
        bad = good; bad[6] = 64
        #expect(Self.readAll(bad).error?.kind == .malformed)
        bad = good; bad[4] = 1
        #expect(Self.readAll(bad).error?.kind == .unsupported)
        bad = good; bad[16] = 0
        #expect(Self.readAll(bad).error?.kind == .malformed)
        #expect(Self.readAll(Array(good[0..<20])).error?.kind == .truncated)
        #expect(Self.readAll([]).error?.kind == .truncated)
        // Absurd frame size: 4 GiB - 1.
        good += [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 8) + [1, 2, 3]
        #expect(Self.readAll(good).error?.kind == .limitExceeded)
        // Beyond the end of the file, under the limit.
        good.replaceSubrange(32..<36, with: [0x00, 0x01, 0x00, 0x00])
        #expect(Self.readAll(good).error?.kind == .truncated)
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func ffmpegIVFReadsFrameByFrameAndRewritesByteIdentical() throws {
        let files = try #require(ContainerTestMedia.files)
        let original = ContainerTestMedia.bytes(files.ivf)
        let (header, frames, error) = Self.readAll(original)
        #expect(error == nil)
        let h = try #require(header)
        #expect(h.isVP8 && h.width == 320 && h.height == 240)
        #expect(Int(h.frameCount) == frames.count)

        let probe = ContainerTestMedia.packets(files.ivf)
        #expect(frames.count == 90)
        #expect(probe.count == frames.count)
        #expect(probe.map(\.size) == frames.map(\.data.count))
        #expect(probe.map(\.keyframe) == frames.map(\.isVP8Keyframe))
        #expect(probe.map(\.pts) == frames.map(\.pts))
        #expect(frames.filter(\.isVP8Keyframe).count >= 3)   // -g 30

        // Streaming from the file gives the same frames.
        let fileReader = try IVFReader(path: files.ivf)
        var fromFile: [IVFFrame] = []
        while let f = try fileReader.next() { fromFile.append(f) }
        #expect(fromFile == frames)

        // Rewrite to a file: byte-identical to ffmpeg's (header, frame headers, frame count).
        let path = ContainerTestMedia.scratchPath("out.ivf")
        let w = try IVFWriter(path: path, header: h)
        for f in frames { try w.append(f.data, pts: f.pts) }
        try w.finish()
        #expect(ContainerTestMedia.bytes(path) == original)
        let decoded = ContainerTestMedia.decodeErrors(path)
        #expect(decoded.status == 0 && decoded.errors.isEmpty, "\(decoded.errors)")
        #expect(ContainerTestMedia.probe(path).codecs == ["vp8"])
    }

    @Test(.enabled(if: ContainerTestMedia.available))
    func truncatedAndCorruptedFilesGiveTypedErrors() throws {
        let files = try #require(ContainerTestMedia.files)
        let original = ContainerTestMedia.bytes(files.ivf)
        let full = Self.readAll(original).frames
        // Frame boundaries: cutting exactly there is a valid shorter file.
        var boundaries: Set<Int> = [32]
        var at = 32
        for f in full { at += 12 + f.data.count; boundaries.insert(at) }
        for cut in stride(from: 0, to: original.count, by: 97) {
            let r = Self.readAll(Array(original[0..<cut]))
            if boundaries.contains(cut) {
                #expect(r.error == nil)
            } else {
                #expect(r.error?.kind == .truncated, "cut at \(cut)")
            }
            #expect(r.frames.count <= full.count)
            #expect(zip(r.frames, full).allSatisfy { $0 == $1 })
        }
        // Flipped bytes: any outcome but a crash; sizes stay bounded.
        var rng = SplitMix(seed: 42)
        for _ in 0..<300 {
            var b = original
            for _ in 0..<4 { b[Int(rng.next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            let r = Self.readAll(b)
            #expect(r.frames.allSatisfy { $0.data.count <= b.count })
        }
    }
}

/// Deterministic corruption.
typealias SplitMix = SplitMix64
