/// CRC-32 in its two common forms: IEEE 802.3 (zlib's, `x-amz-checksum-crc32`) and Castagnoli
/// (`x-amz-checksum-crc32c`). Reflected, initial value and final XOR all ones, as both specify.
public struct CRC32: Sendable {
    public enum Polynomial: Sendable {
        case ieee, castagnoli

        var reflected: UInt32 { self == .ieee ? 0xEDB8_8320 : 0x82F6_3B78 }
    }

    private let table: [UInt32]
    private var state: UInt32 = 0xFFFF_FFFF

    public init(_ polynomial: Polynomial) {
        table = polynomial == .ieee ? Self.ieeeTable : Self.castagnoliTable
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = state
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        state = crc
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    /// The checksum as S3 headers carry it: the four bytes, big-endian, in base64.
    public var base64: String {
        let value = value
        return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }.base64String
    }

    static let ieeeTable = table(Polynomial.ieee.reflected)
    static let castagnoliTable = table(Polynomial.castagnoli.reflected)

    static func table(_ polynomial: UInt32) -> [UInt32] {
        (0..<256).map { index in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            return crc
        }
    }
}
