/// CRC-64/XZ (a.k.a. CRC-64/GO-ECMA): what OSS returns as `x-oss-hash-crc64ecma`. Reflected polynomial
/// `0xC96C5795D7870F42`, all-ones initial value and final XOR; check("123456789") = `0x995DC9BBDF1939FA`.
public struct CRC64: Sendable, Equatable {
    /// The CRC of everything passed to ``update(_:)`` so far.
    public private(set) var value: UInt64

    /// Continues from an earlier final value (`0` for a new message), as the OSS SDKs stream it.
    public init(continuing value: UInt64 = 0) { self.value = value }

    static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    /// Slicing-by-8 tables: eight bytes per step instead of one.
    static let tables: [[UInt64]] = {
        var tables = [[UInt64]](repeating: [UInt64](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[0][i] = crc
        }
        for i in 0..<256 {
            for t in 1..<8 {
                let previous = tables[t - 1][i]
                tables[t][i] = tables[0][Int(previous & 0xff)] ^ (previous >> 8)
            }
        }
        return tables
    }()

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = ~value
        let tables = Self.tables
        var index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while index + 8 <= count {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian ^ crc
                crc =
                    t7[Int(word & 0xff)] ^ t6[Int((word >> 8) & 0xff)] ^ t5[Int((word >> 16) & 0xff)]
                    ^ t4[Int((word >> 24) & 0xff)] ^ t3[Int((word >> 32) & 0xff)] ^ t2[Int((word >> 40) & 0xff)]
                    ^ t1[Int((word >> 48) & 0xff)] ^ t0[Int(word >> 56)]
                index += 8
            }
            while index < count {
                crc = t0[Int((crc ^ UInt64(bytes[index])) & 0xff)] ^ (crc >> 8)
                index += 1
            }
        }
        value = ~crc
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        Array(bytes).withUnsafeBytes { update($0) }
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var crc = CRC64()
        crc.update(bytes)
        return crc.value
    }

    /// The CRC of A followed by B from `crc(A)`, `crc(B)` and B's length, without the data: how a multipart
    /// object's CRC follows from its parts' (zlib's GF(2) matrix method).
    public static func combine(_ first: UInt64, _ second: UInt64, secondLength: Int64) -> UInt64 {
        guard secondLength > 0 else { return first }
        func times(_ matrix: [UInt64], _ vector: UInt64) -> UInt64 {
            var sum: UInt64 = 0
            var v = vector
            var i = 0
            while v != 0 {
                if v & 1 != 0 { sum ^= matrix[i] }
                v >>= 1
                i += 1
            }
            return sum
        }
        func square(_ matrix: [UInt64]) -> [UInt64] { (0..<64).map { times(matrix, matrix[$0]) } }
        // The operator for one zero bit, then squared to two and four bits.
        var odd = [UInt64](repeating: 0, count: 64)
        odd[0] = polynomial
        for n in 1..<64 { odd[n] = 1 << (n - 1) }
        var even = square(odd)
        odd = square(even)
        var crc = first
        var length = secondLength
        repeat {
            even = square(odd)
            if length & 1 != 0 { crc = times(even, crc) }
            length >>= 1
            if length == 0 { break }
            odd = square(even)
            if length & 1 != 0 { crc = times(odd, crc) }
            length >>= 1
        } while length != 0
        return crc ^ second
    }
}
