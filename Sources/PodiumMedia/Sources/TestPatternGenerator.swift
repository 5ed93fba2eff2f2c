import PodiumWire
/// A generated moving picture for synthetic publishers: a textured background that pans, a
/// bouncing box and a frame counter, so every frame differs and the encoder does real motion
/// search (a flat or static picture would make encode cost and bitrate unrealistically low).
///
/// Cheap: the background is row copies from a precomputed tile, the rest are filled rectangles.
public struct TestPatternGenerator: Sendable {
    public let width: Int
    public let height: Int
    /// Frames generated so far; the next picture shows this number.
    public private(set) var frameNumber = 0
    private static let tileSize = 512
    private let tile: [UInt8]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        tile = Self.makeTile()
    }

    /// Value noise on a wrapping 16-pixel grid plus a fine ripple: smooth areas, edges and detail,
    /// roughly like a camera picture.
    private static func makeTile() -> [UInt8] {
        let n = tileSize, cell = 16, cells = n / cell
        var rng = SplitMix64(seed: 0x5EED_0F_71_1E)
        var grid = [Int](repeating: 0, count: cells * cells)
        for i in grid.indices { grid[i] = 40 + rng.next(in: 0...180) }
        var out = [UInt8](repeating: 0, count: n * n)
        for y in 0..<n {
            let gy = y / cell, fy = y % cell
            for x in 0..<n {
                let gx = x / cell, fx = x % cell
                let a = grid[gy * cells + gx], b = grid[gy * cells + (gx + 1) % cells]
                let c = grid[((gy + 1) % cells) * cells + gx], d = grid[((gy + 1) % cells) * cells + (gx + 1) % cells]
                let top = a * (cell - fx) + b * fx, bottom = c * (cell - fx) + d * fx
                let smooth = (top * (cell - fy) + bottom * fy) / (cell * cell)
                let ripple = ((x * 7 + y * 3) & 15) - 8
                out[y * n + x] = UInt8(clamping: smooth + ripple)
            }
        }
        return out
    }

    /// The next picture.
    public mutating func next() -> I420Image {
        var image = I420Image(width: width, height: height)
        guard width > 0, height > 0 else { frameNumber += 1; return image }
        let t = frameNumber
        let n = Self.tileSize, mask = n - 1
        let ox = (t * 3) & mask, oy = t & mask
        tile.withUnsafeBufferPointer { tp in
            image.y.withUnsafeMutableBufferPointer { yp in
                for row in 0..<height {
                    let src = tp.baseAddress! + ((row + oy) & mask) * n
                    var dst = yp.baseAddress! + row * width
                    var x = 0, sx = ox
                    while x < width {
                        let run = min(width - x, n - sx)
                        dst.update(from: src + sx, count: run)
                        dst += run
                        x += run
                        sx = 0
                    }
                }
            }
        }
        // Chroma: slow colour bands drifting the other way.
        let cw = image.chromaWidth, ch = image.chromaHeight
        image.u.withUnsafeMutableBufferPointer { up in
            image.v.withUnsafeMutableBufferPointer { vp in
                for row in 0..<ch {
                    let vBase = UInt8(truncatingIfNeeded: 96 + ((row + t) & 63))
                    for col in 0..<cw {
                        up[row * cw + col] = UInt8(truncatingIfNeeded: 96 + ((col &- t) & 63))
                        vp[row * cw + col] = vBase
                    }
                }
            }
        }
        // A box bouncing across the picture.
        let box = max(2, min(width, height) / 6)
        let bx = Self.bounce(t * 7, span: width - box), by = Self.bounce(t * 5, span: height - box)
        Self.fill(&image, x: bx, y: by, w: box, h: box, luma: 220, u: 60, v: 200)
        drawCounter(&image, t)
        frameNumber += 1
        return image
    }

    private static func bounce(_ p: Int, span: Int) -> Int {
        guard span > 0 else { return 0 }
        let m = p % (2 * span)
        return m < span ? m : 2 * span - m
    }

    /// Seven-segment digits of the frame number, top left.
    private func drawCounter(_ image: inout I420Image, _ value: Int) {
        let digitHeight = max(6, height / 12), digitWidth = max(4, digitHeight / 2), stroke = max(1, digitHeight / 8)
        let digits = 6
        let margin = stroke * 2
        Self.fill(&image, x: 0, y: 0, w: margin * 2 + digits * (digitWidth + margin), h: digitHeight + margin * 2, luma: 16, u: 128, v: 128)
        // Segments a b c d e f g as bits 0...6.
        let segments: [UInt8] = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F]
        var rest = value
        for i in (0..<digits).reversed() {
            let s = segments[rest % 10]
            rest /= 10
            let x0 = margin + i * (digitWidth + margin), y0 = margin, half = digitHeight / 2
            func seg(_ bit: Int, _ x: Int, _ y: Int, _ w: Int, _ h: Int) {
                if s & (1 << bit) != 0 { Self.fill(&image, x: x0 + x, y: y0 + y, w: w, h: h, luma: 235, u: 128, v: 128) }
            }
            seg(0, 0, 0, digitWidth, stroke)
            seg(1, digitWidth - stroke, 0, stroke, half)
            seg(2, digitWidth - stroke, half, stroke, digitHeight - half)
            seg(3, 0, digitHeight - stroke, digitWidth, stroke)
            seg(4, 0, half, stroke, digitHeight - half)
            seg(5, 0, 0, stroke, half)
            seg(6, 0, half - stroke / 2, digitWidth, stroke)
        }
    }

    private static func fill(_ image: inout I420Image, x: Int, y: Int, w: Int, h: Int, luma: UInt8, u: UInt8, v: UInt8) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(image.width, x + w), y1 = min(image.height, y + h)
        guard x1 > x0, y1 > y0 else { return }
        let width = image.width
        image.y.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 { (p.baseAddress! + row * width + x0).update(repeating: luma, count: x1 - x0) }
        }
        let cw = image.chromaWidth
        let cx0 = x0 / 2, cx1 = (x1 + 1) / 2, cy0 = y0 / 2, cy1 = (y1 + 1) / 2
        image.u.withUnsafeMutableBufferPointer { p in
            for row in cy0..<cy1 { (p.baseAddress! + row * cw + cx0).update(repeating: u, count: cx1 - cx0) }
        }
        image.v.withUnsafeMutableBufferPointer { p in
            for row in cy0..<cy1 { (p.baseAddress! + row * cw + cx0).update(repeating: v, count: cx1 - cx0) }
        }
    }
}
