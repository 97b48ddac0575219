import CMultiMD5

/// MD5 of many byte ranges of one file, eight at a time in one SIMD register set (AVX-512VL or AVX2, chosen
/// when the program starts; portable C otherwise). OpenSSL hashes one stream at ~0.8 GB/s here; eight lanes reach
/// ~2.8 GB/s, which matters because Content-MD5 is most of the CPU an upload needs.
public enum MultiMD5 {
    /// Whether the CPU has the vector instructions (else one-at-a-time OpenSSL is as fast).
    public static var isAccelerated: Bool { pp_md5x8_available() != 0 }

    /// Caps the instruction set (0 portable, 1 AVX2, 2 AVX-512VL), for tests that check every path.
    @discardableResult
    public static func limitLevel(_ level: Int32) -> Int32 { pp_md5x8_limit_level(level) }

    /// The MD5 of each `(offset, length)` range of `file`, read with `pread` in `chunk`-byte pieces per lane.
    public static func digests(file: OpenFile, ranges: [(offset: Int64, length: Int64)], chunk: Int = 512 << 10)
        throws(PhonePackError) -> [[UInt8]]
    {
        var results: [[UInt8]] = []
        results.reserveCapacity(ranges.count)
        try digests(file: file, ranges: ranges, chunk: chunk) { _, digest in
            results.append(digest)
            return true
        }
        return results
    }

    /// Hands each range's MD5 to `body` (index, digest) as soon as its group of eight is done; `body` returns
    /// `false` to stop. One set of buffers (8 × `chunk`) serves every group.
    public static func digests(
        file: OpenFile, ranges: [(offset: Int64, length: Int64)], chunk: Int = 512 << 10,
        _ body: (Int, [UInt8]) -> Bool
    ) throws(PhonePackError) {
        var start = 0
        var end = 0
        try digests(
            file: file, chunk: chunk,
            groups: {
                (start, end) = (end, min(end + 8, ranges.count))
                return Array(ranges[start..<end])
            }
        ) { index, digest in body(start + index, digest) }
    }

    /// The same for ranges known a group at a time (a file still being written): `groups` returns the next one to
    /// eight ranges, or none at the end; `body` gets each range's position within its group and its MD5, and
    /// returns `false` to stop. The buffers are allocated once, for every group.
    public static func digests(
        file: OpenFile, chunk: Int = 512 << 10, groups: () -> [(offset: Int64, length: Int64)],
        _ body: (Int, [UInt8]) -> Bool
    ) throws(PhonePackError) {
        precondition(chunk % 64 == 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * 8, alignment: 64)
        defer { buffer.deallocate() }
        let states = UnsafeMutablePointer<(UInt32, UInt32, UInt32, UInt32)>.allocate(capacity: 8)
        defer { states.deallocate() }
        let pointers = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: 8)
        defer { pointers.deallocate() }
        while true {
            let group = groups()
            precondition(group.count <= 8, "eight lanes")
            if group.isEmpty { return }
            let digests = try hashGroup(file, group, chunk: chunk, buffer: buffer, states: states, pointers: pointers)
            for (index, digest) in digests.enumerated() where !body(index, digest) { return }
        }
    }

    private static func hashGroup(
        _ file: OpenFile, _ group: [(offset: Int64, length: Int64)], chunk: Int, buffer: UnsafeMutableRawBufferPointer,
        states: UnsafeMutablePointer<(UInt32, UInt32, UInt32, UInt32)>,
        pointers: UnsafeMutablePointer<UnsafePointer<UInt8>?>
    ) throws(PhonePackError) -> [[UInt8]] {
        let lanes = group.count
        var done = [Int64](repeating: 0, count: lanes)
        var tails = [[UInt8]](repeating: [], count: lanes)
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for lane in 0..<8 {
            withUnsafeMutableBytes(of: &states[lane]) {
                pp_md5_init($0.baseAddress!.assumingMemoryBound(to: UInt32.self))
            }
            pointers[lane] = UnsafePointer(base + lane * chunk)
        }
        while (0..<lanes).contains(where: { done[$0] < group[$0].length }) {
            var read = [Int](repeating: 0, count: 8)
            for lane in 0..<lanes where done[lane] < group[lane].length {
                let want = Int(min(Int64(chunk), group[lane].length - done[lane]))
                let target = UnsafeMutableRawBufferPointer(start: base + lane * chunk, count: want)
                var got = 0
                while got < want {
                    let n = try file.read(
                        fromAbsoluteOffset: group[lane].offset + done[lane] + Int64(got),
                        into: UnsafeMutableRawBufferPointer(rebasing: target[got...]))
                    guard n > 0 else {
                        throw PhonePackError(
                            .io, operation: "read", path: file.path,
                            message: "ended early; did it change while being sent?")
                    }
                    got += n
                }
                read[lane] = want
            }
            let active = (0..<lanes).filter { read[$0] > 0 }
            let common = active.map { read[$0] / 64 }.min() ?? 0
            if common > 0 && active.count > 1 {
                // Lanes with nothing left run on a scratch copy of their state, which is then put back.
                let saved = (0..<8).map { states[$0] }
                pp_md5x8_blocks(states, pointers, common)
                for lane in 0..<8 where !active.contains(lane) { states[lane] = saved[lane] }
            }
            for lane in active {
                let processed = common > 0 && active.count > 1 ? common * 64 : 0
                let rest = read[lane] - processed
                let blocks = rest / 64
                withUnsafeMutableBytes(of: &states[lane]) {
                    pp_md5_blocks(
                        $0.baseAddress!.assumingMemoryBound(to: UInt32.self), base + lane * chunk + processed, blocks)
                }
                let tailStart = lane * chunk + processed + blocks * 64
                // Only a lane's last piece can end inside a block: every earlier piece is a whole chunk.
                tails[lane] = Array(UnsafeBufferPointer(start: base + tailStart, count: rest - blocks * 64))
                done[lane] += Int64(read[lane])
            }
        }
        return (0..<lanes).map { lane in
            var digest = [UInt8](repeating: 0, count: 16)
            withUnsafeMutableBytes(of: &states[lane]) { state in
                pp_md5_finish(
                    state.baseAddress!.assumingMemoryBound(to: UInt32.self), tails[lane], tails[lane].count,
                    UInt64(group[lane].length), &digest)
            }
            return digest
        }
    }
}
