/// An I420 picture (8-bit, planar 4:2:0), the layout libvpx encodes and decodes.
///
/// Owned storage, tightly packed: luma stride = `width`, chroma stride = `(width + 1) / 2`,
/// chroma height = `(height + 1) / 2`.
public struct I420Image: Sendable {
    public let width: Int
    public let height: Int
    public var y: [UInt8]
    public var u: [UInt8]
    public var v: [UInt8]

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }

    /// A black picture (Y = 16, U = V = 128, video range). Negative sizes count as zero.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        let cw = (self.width + 1) / 2, ch = (self.height + 1) / 2
        y = [UInt8](repeating: 16, count: self.width * self.height)
        u = [UInt8](repeating: 128, count: cw * ch)
        v = [UInt8](repeating: 128, count: cw * ch)
    }

    /// This picture scaled to `width`×`height`: an area average (box filter) when both ratios are
    /// integers, as for the usual simulcast halvings, else bilinear. Good enough for synthetic
    /// simulcast layers; not a production scaler.
    public func scaled(width newWidth: Int, height newHeight: Int) -> I420Image {
        var out = I420Image(width: newWidth, height: newHeight)
        if newWidth == width && newHeight == height { return self }
        guard out.width > 0, out.height > 0, width > 0, height > 0 else { return out }
        Self.scalePlane(y, width, height, into: &out.y, out.width, out.height)
        Self.scalePlane(u, chromaWidth, chromaHeight, into: &out.u, out.chromaWidth, out.chromaHeight)
        Self.scalePlane(v, chromaWidth, chromaHeight, into: &out.v, out.chromaWidth, out.chromaHeight)
        return out
    }

    private static func scalePlane(_ src: [UInt8], _ sw: Int, _ sh: Int, into dst: inout [UInt8], _ dw: Int, _ dh: Int) {
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                if sw % dw == 0, sh % dh == 0 {
                    let fx = sw / dw, fy = sh / dh, n = fx * fy, half = n / 2
                    for oy in 0..<dh {
                        let row = oy * fy * sw
                        for ox in 0..<dw {
                            var sum = 0
                            var base = row + ox * fx
                            for _ in 0..<fy {
                                for k in 0..<fx { sum &+= Int(s[base + k]) }
                                base += sw
                            }
                            d[oy * dw + ox] = UInt8(truncatingIfNeeded: (sum + half) / n)
                        }
                    }
                } else {
                    // Bilinear in 16.16 fixed point, sample centres aligned.
                    let stepX = (sw << 16) / dw, stepY = (sh << 16) / dh
                    for oy in 0..<dh {
                        let syf = max(0, (oy * stepY) + stepY / 2 - 0x8000)
                        let y0 = min(sh - 1, syf >> 16), y1 = min(sh - 1, y0 + 1), wy = syf & 0xFFFF
                        for ox in 0..<dw {
                            let sxf = max(0, (ox * stepX) + stepX / 2 - 0x8000)
                            let x0 = min(sw - 1, sxf >> 16), x1 = min(sw - 1, x0 + 1), wx = sxf & 0xFFFF
                            let a = Int(s[y0 * sw + x0]), b = Int(s[y0 * sw + x1])
                            let c = Int(s[y1 * sw + x0]), e = Int(s[y1 * sw + x1])
                            let top = a * (0x10000 - wx) + b * wx
                            let bottom = c * (0x10000 - wx) + e * wx
                            let value = (top >> 16) * (0x10000 - wy) + (bottom >> 16) * wy
                            d[oy * dw + ox] = UInt8(clamping: value >> 16)
                        }
                    }
                }
            }
        }
    }
}
