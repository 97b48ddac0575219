/// A parser for Android's compiled ("binary") XML, the form AndroidManifest.xml takes inside an APK.
///
/// The format is a tree of chunks (`ResChunk_header`: u16 type, u16 header size, u32 total size, little endian):
/// a string pool, an optional resource-id map for attribute names, then start/end element nodes whose attributes
/// carry typed values. Every offset and length is checked against the buffer, because the input comes from
/// archives we do not trust: a malformed file gives an error, never a crash.
public struct BinaryXMLDocument: Sendable {
    public struct Attribute: Sendable, Equatable {
        /// The attribute name from the string pool (may be empty when a tool stripped names).
        public var name: String
        /// The android resource id of the name (`0x0101021b` for `versionCode`), when the resource map has one.
        var resourceID: UInt32?
        public var value: Value

        public enum Value: Sendable, Equatable {
            case string(String)
            case integer(Int64)
            case boolean(Bool)
            case reference(UInt32)
            case other(type: UInt8, data: UInt32)
        }

        /// The value as text, as `aapt dump` would show it.
        public var text: String {
            switch value {
            case .string(let s): s
            case .integer(let i): String(i)
            case .boolean(let b): b ? "true" : "false"
            case .reference(let r): "@0x" + String(r, radix: 16)
            case .other(_, let data): String(data)
            }
        }
    }

    public struct Element: Sendable {
        public var name: String
        /// How deep in the tree: 0 for the root (`manifest`).
        public var depth: Int
        public var attributes: [Attribute]

        /// Finds an attribute by its android resource id (robust against obfuscated names) or by name.
        public func attribute(_ name: String, resourceID: UInt32? = nil) -> Attribute? {
            if let resourceID, let byID = attributes.first(where: { $0.resourceID == resourceID }) { return byID }
            return attributes.first { $0.name == name }
        }
    }

    /// Start elements in document order.
    public var elements: [Element]

    public init(parsing bytes: [UInt8]) throws(BinaryXMLError) {
        var parser = BinaryXMLParser(bytes)
        elements = try parser.parse()
    }
}

public struct BinaryXMLError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "binary XML at byte \(offset): \(reason)" }
}

private struct BinaryXMLParser {
    let bytes: [UInt8]
    var strings: [String] = []
    var resourceIDs: [UInt32] = []

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static let xmlType: UInt16 = 0x0003
    static let stringPoolType: UInt16 = 0x0001
    static let resourceMapType: UInt16 = 0x0180
    static let startElementType: UInt16 = 0x0102
    static let endElementType: UInt16 = 0x0103
    static let maxElements = 100_000

    func u16(_ at: Int) throws(BinaryXMLError) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { throw BinaryXMLError(offset: at, reason: "truncated") }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) throws(BinaryXMLError) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { throw BinaryXMLError(offset: at, reason: "truncated") }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
            | UInt32(bytes[at + 3]) << 24
    }

    mutating func parse() throws(BinaryXMLError) -> [BinaryXMLDocument.Element] {
        guard try u16(0) == Self.xmlType else {
            throw BinaryXMLError(offset: 0, reason: "not a binary XML document (wrong magic)")
        }
        let headerSize = Int(try u16(2))
        let documentSize = Int(try u32(4))
        guard headerSize >= 8, documentSize <= bytes.count, headerSize <= documentSize else {
            throw BinaryXMLError(
                offset: 0, reason: "document size \(documentSize) does not fit the \(bytes.count)-byte file")
        }
        var elements: [BinaryXMLDocument.Element] = []
        var depth = 0
        var offset = headerSize
        while offset + 8 <= documentSize {
            let type = try u16(offset)
            let chunkHeaderSize = Int(try u16(offset + 2))
            let chunkSize = Int(try u32(offset + 4))
            guard chunkSize >= 8, chunkHeaderSize >= 8, chunkHeaderSize <= chunkSize,
                offset + chunkSize <= documentSize
            else {
                throw BinaryXMLError(offset: offset, reason: "chunk of size \(chunkSize) overruns the document")
            }
            switch type {
            case Self.stringPoolType:
                strings = try parseStringPool(at: offset, headerSize: chunkHeaderSize, size: chunkSize)
            case Self.resourceMapType:
                let count = (chunkSize - chunkHeaderSize) / 4
                resourceIDs = []
                resourceIDs.reserveCapacity(count)
                for i in 0..<count { resourceIDs.append(try u32(offset + chunkHeaderSize + 4 * i)) }
            case Self.startElementType:
                guard elements.count < Self.maxElements else {
                    throw BinaryXMLError(offset: offset, reason: "more than \(Self.maxElements) elements")
                }
                var element = try parseStartElement(at: offset, headerSize: chunkHeaderSize, size: chunkSize)
                element.depth = depth
                elements.append(element)
                depth += 1
            case Self.endElementType:
                depth = max(0, depth - 1)
            default:
                break  // namespaces, CDATA, unknown chunks: not needed
            }
            offset += chunkSize
        }
        return elements
    }

    func string(_ index: UInt32) -> String? {
        index == 0xFFFF_FFFF || Int(index) >= strings.count ? nil : strings[Int(index)]
    }

    func parseStringPool(at start: Int, headerSize: Int, size: Int) throws(BinaryXMLError) -> [String] {
        let count = Int(try u32(start + 8))
        let flags = try u32(start + 16)
        let stringsStart = Int(try u32(start + 20))
        let isUTF8 = flags & (1 << 8) != 0
        guard count <= (size - headerSize) / 4, stringsStart <= size else {
            throw BinaryXMLError(offset: start, reason: "string pool header is inconsistent")
        }
        let end = start + size
        var result: [String] = []
        result.reserveCapacity(count)
        // Offsets may repeat (a hostile pool points a million entries at one huge string): each string is decoded
        // once and shared, and all of them together may not decode to more than the budget.
        var decoded: [Int: String] = [:]
        var budget = Self.maxDecodedStringBytes
        for i in 0..<count {
            let at = start + stringsStart + Int(try u32(start + headerSize + 4 * i))
            guard at < end else { throw BinaryXMLError(offset: at, reason: "string \(i) is outside its pool") }
            if let known = decoded[at] {
                result.append(known)
                continue
            }
            let text = isUTF8 ? try utf8String(at: at, end: end) : try utf16String(at: at, end: end)
            budget -= text.utf8.count
            guard budget >= 0 else {
                throw BinaryXMLError(
                    offset: at, reason: "the string pool decodes to more than \(Self.maxDecodedStringBytes >> 20) MiB")
            }
            decoded[at] = text
            result.append(text)
        }
        return result
    }

    /// What all strings of a manifest may decode to; real manifests need a few hundred KiB.
    static let maxDecodedStringBytes = 16 << 20

    /// UTF-8 pool entry: UTF-16 length (1 or 2 bytes), UTF-8 byte length (1 or 2 bytes), bytes, NUL.
    func utf8String(at start: Int, end: Int) throws(BinaryXMLError) -> String {
        var at = start
        func length() throws(BinaryXMLError) -> Int {
            guard at < end else { throw BinaryXMLError(offset: at, reason: "truncated string length") }
            var value = Int(bytes[at])
            at += 1
            if value & 0x80 != 0 {
                guard at < end else { throw BinaryXMLError(offset: at, reason: "truncated string length") }
                value = (value & 0x7f) << 8 | Int(bytes[at])
                at += 1
            }
            return value
        }
        _ = try length()
        let byteCount = try length()
        guard at + byteCount <= end else { throw BinaryXMLError(offset: at, reason: "string overruns its pool") }
        return String(decoding: bytes[at..<(at + byteCount)], as: UTF8.self)
    }

    /// UTF-16 pool entry: length in code units (1 or 2 u16s), code units, NUL.
    func utf16String(at start: Int, end: Int) throws(BinaryXMLError) -> String {
        var at = start
        var count = Int(try u16(at))
        at += 2
        if count & 0x8000 != 0 {
            count = (count & 0x7fff) << 16 | Int(try u16(at))
            at += 2
        }
        guard at + 2 * count <= end else { throw BinaryXMLError(offset: at, reason: "string overruns its pool") }
        var units: [UInt16] = []
        units.reserveCapacity(count)
        for i in 0..<count { units.append(try u16(at + 2 * i)) }
        return String(decoding: units, as: UTF16.self)
    }

    func parseStartElement(at start: Int, headerSize: Int, size: Int) throws(BinaryXMLError)
        -> BinaryXMLDocument.Element
    {
        let ext = start + headerSize
        let name = string(try u32(ext + 4)) ?? ""
        let attributeStart = Int(try u16(ext + 8))
        let attributeSize = Int(try u16(ext + 10))
        let attributeCount = Int(try u16(ext + 12))
        guard attributeSize >= 20, ext + attributeStart + attributeSize * attributeCount <= start + size else {
            throw BinaryXMLError(offset: start, reason: "attributes of <\(name)> overrun the element")
        }
        var attributes: [BinaryXMLDocument.Attribute] = []
        for i in 0..<attributeCount {
            let at = ext + attributeStart + i * attributeSize
            let nameIndex = try u32(at + 4)
            let rawValue = try u32(at + 8)
            let dataType = bytes[at + 15]
            let data = try u32(at + 16)
            let value: BinaryXMLDocument.Attribute.Value =
                switch dataType {
                case 0x03: .string(string(data) ?? string(rawValue) ?? "")
                case 0x10: .integer(Int64(Int32(bitPattern: data)))
                case 0x11: .integer(Int64(data))
                case 0x12: .boolean(data != 0)
                case 0x01: .reference(data)
                default: rawValue != 0xFFFF_FFFF ? .string(string(rawValue) ?? "") : .other(type: dataType, data: data)
                }
            attributes.append(
                .init(
                    name: string(nameIndex) ?? "",
                    resourceID: Int(nameIndex) < resourceIDs.count ? resourceIDs[Int(nameIndex)] : nil,
                    value: value))
        }
        return .init(name: name, depth: 0, attributes: attributes)
    }
}
