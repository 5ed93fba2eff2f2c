import PodiumMedia

// Fuzz targets for the container readers (IVF, Ogg / Ogg Opus, WebM), with write-back round trips
// through the writers where the input reads cleanly.

/// Readers must never return more frame bytes than the input holds (memory stays bounded).
private func checkBounded(_ count: Int, _ input: UnsafeRawBufferPointer, _ what: String) {
    if count > input.count { fuzzFailure("\(what): \(count) bytes from a \(input.count)-byte input") }
}

@Sendable func fuzzIVF(_ data: UnsafeRawBufferPointer) {
    guard let reader = try? IVFReader(bytes: Array(data)) else { return }
    var frames: [IVFFrame] = []
    var total = 0
    var clean = true
    while true {
        do throws(ContainerError) {
            guard let f = try reader.next() else { break }
            total += f.data.count + 12
            checkBounded(total, data, "IVF frames")
            frames.append(f)
        } catch {
            clean = false
            break
        }
    }
    guard clean else { return }
    // A clean file writes back byte for byte (with the frame count patched to the real count).
    let out = MediaOutput()
    guard let w = try? IVFWriter(output: out, header: reader.header) else { fuzzFailure("IVF writer init") }
    for f in frames { guard (try? w.append(f.data, pts: f.pts)) != nil else { fuzzFailure("IVF append") } }
    guard (try? w.finish()) != nil else { fuzzFailure("IVF finish") }
    var expected = Array(data)
    let n = UInt32(frames.count)
    for i in 0..<4 { expected[24 + i] = UInt8(truncatingIfNeeded: n >> (8 * i)) }
    if out.bytes != expected { fuzzFailure("IVF round trip") }
}

@Sendable func fuzzOgg(_ data: UnsafeRawBufferPointer) {
    let bytes = Array(data)
    let reader = OggReader(bytes: bytes)
    var packets: [OggPacket] = []
    var total = 0
    var clean = true
    while true {
        do throws(ContainerError) {
            guard let p = try reader.next() else { break }
            total += p.data.count
            checkBounded(total, data, "Ogg packets")
            packets.append(p)
        } catch {
            clean = false
            break
        }
    }
    if clean && !packets.isEmpty {
        // Repaginated by our writer, the same packets come back.
        let out = MediaOutput()
        let w = OggWriter(output: out, serial: reader.serial ?? 0)
        for p in packets {
            guard (try? w.append(p.data, granulePosition: max(0, p.granulePosition))) != nil else { fuzzFailure("Ogg append") }
        }
        guard (try? w.finish()) != nil else { fuzzFailure("Ogg finish") }
        let again = OggReader(bytes: out.bytes)
        var i = 0
        while true {
            let next: OggPacket?
            do throws(ContainerError) { next = try again.next() } catch { fuzzFailure("Ogg rewritten stream does not read: \(error)") }
            guard let p = next else { break }
            if i >= packets.count || p.data != packets[i].data { fuzzFailure("Ogg round trip packet \(i)") }
            i += 1
        }
        if i != packets.count { fuzzFailure("Ogg round trip count") }
    }
    // The Opus layer over the same bytes: typed errors only.
    if let opus = try? OggOpusReader(bytes: bytes) {
        var n = 0
        while let p = try? opus.next(), n < 100_000 {
            if p.duration < 0 || p.duration > 5760 { fuzzFailure("Ogg Opus duration \(p.duration)") }
            n += 1
        }
    }
}

@Sendable func fuzzWebM(_ data: UnsafeRawBufferPointer) {
    guard let reader = try? WebMReader(bytes: Array(data)) else { return }
    _ = reader.tracks.map { $0.codecID }
    var frames: [WebMFrame] = []
    var total = 0
    while true {
        let next: WebMFrame?
        do throws(ContainerError) { next = try reader.next() } catch { break }
        guard let f = next else { break }
        total += f.data.count
        // Laced frames of one block share its bytes; the sum of frame sizes is still bounded by
        // the input.
        checkBounded(total, data, "WebM frames")
        frames.append(f)
    }
    guard !frames.isEmpty else { return }
    // Write the frames as one video track and read them back: same bytes and keyframe flags.
    let out = MediaOutput()
    guard let w = try? WebMWriter(output: out, video: WebMVideoTrack(width: 16, height: 16), audio: nil) else {
        fuzzFailure("WebM writer init")
    }
    for (i, f) in frames.enumerated() {
        guard (try? w.appendVideo(f.data, timestamp: Int64(i) * 33_000_000, isKeyframe: f.isKeyframe)) != nil else {
            fuzzFailure("WebM append")
        }
    }
    guard (try? w.finish()) != nil else { fuzzFailure("WebM finish") }
    guard let again = try? WebMReader(bytes: out.bytes) else { fuzzFailure("WebM written file does not read") }
    var i = 0
    while true {
        let next: WebMFrame?
        do throws(ContainerError) { next = try again.next() } catch { fuzzFailure("WebM written frame does not read: \(error)") }
        guard let f = next else { break }
        if i >= frames.count || f.data != frames[i].data || f.isKeyframe != frames[i].isKeyframe || f.timestampMilliseconds != Int64(i) * 33 {
            fuzzFailure("WebM round trip frame \(i)")
        }
        i += 1
    }
    if i != frames.count { fuzzFailure("WebM round trip count") }
}
