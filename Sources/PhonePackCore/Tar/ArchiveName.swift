import Glibc

/// Archive names are bytes. These two pieces keep them so while the code handles them as `String`s:
///
/// - ``ArchiveName`` carries any byte sequence losslessly in a `String`: valid UTF-8 exactly as it is (never
///   normalised: `e` + U+0301 stays two scalars), and each byte of an invalid sequence (a Latin-1 name from an
///   old tool) as one scalar of the plane-16 private-use block U+10FF00+byte (bytes 0x80–0xFF only: ASCII is
///   always valid). A name that itself holds a scalar of that block has that scalar's four bytes escaped too,
///   so every escape stands for exactly one byte of the name and none can become a `/` or a NUL. At every
///   system call the name goes back to its exact bytes; on a terminal such a byte shows as `\xNN`, in JSON as
///   `\udcNN` (Python's surrogateescape, so `tarfile` listings compare equal).
/// - ``NameKey`` is a name as a set or dictionary key, equal only when the bytes are equal: Swift's `String`
///   equality is Unicode canonical equivalence, which takes `é` and `e\u{301}` for one name.
public enum ArchiveName {
    static let escapeBase: UInt32 = 0x10FF00

    /// The name of `bytes` (see the type's description).
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        // Plane-16 scalars start with 0xF4: without one, valid UTF-8 is taken as it is.
        if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) { return text }
        let array = Array(bytes)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < array.count {
            var iterator = array[index...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator), !isEscapeRange(scalar) {
                out.append(scalar)
                index += UTF8.width(scalar)
            } else {
                out.append(Unicode.Scalar(escapeBase + UInt32(array[index]))!)
                index += 1
            }
        }
        return String(out)
    }

    /// The exact bytes of a name made by ``decode(_:)``.
    public static func bytes(of name: String) -> [UInt8] {
        guard hasEscapes(name) else { return Array(name.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if let byte = escapedByte(scalar) {
                out.append(byte)
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// An object key from a store as a name: the same string, except a key that really holds scalars of the escape
    /// block (hostile: U+10FF80–U+10FFFF are private use) has them escaped byte by byte like any such name, so it
    /// can never stand for another name (`caf\u{10FFC3}\u{10FFA9}` for `café`), is refused as not plain
    /// (``PlainName``), shows as `\xNN` and travels losslessly in JSON.
    public static func fromKey(_ key: String) -> String {
        key.utf8.contains(0xF4) ? decode(Array(key.utf8)) : key
    }

    /// The key a name made by ``fromKey(_:)`` stands for: its bytes, which are the key's UTF-8.
    public static func toKey(_ name: String) -> String {
        hasEscapes(name) ? String(decoding: bytes(of: name), as: UTF8.self) : name
    }

    /// The byte a private-use escape scalar stands for (0x80–0xFF), else `nil`.
    static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        isEscapeRange(scalar) ? UInt8(scalar.value - escapeBase) : nil
    }

    static func isEscapeRange(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= escapeBase + 0x80 && scalar.value <= escapeBase + 0xFF
    }

    /// Whether the name holds escaped bytes (cheap: plane-16 scalars start with the byte 0xF4 in UTF-8).
    static func hasEscapes(_ name: String) -> Bool {
        name.utf8.contains(0xF4) && name.unicodeScalars.contains { escapedByte($0) != nil }
    }

    /// Calls `body` with the name as the C string a system call wants: its exact bytes.
    static func withCString<T>(_ name: String, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        guard hasEscapes(name) else { return try name.withCString(body) }
        var bytes = bytes(of: name)
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}

/// A name as a key: equal, hashed and ordered by its bytes, never by Unicode equivalence.
public struct NameKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(_ name: Substring) { self.name = String(name) }

    /// Byte equality. Dictionary probes call this several times per lookup: lengths first (O(1) for a native
    /// string), then `memcmp` (`elementsEqual` walked `String.UTF8View` indices: 5 % of a 20,000-file extract).
    public static func == (a: NameKey, b: NameKey) -> Bool {
        let (x, y) = (a.name.utf8, b.name.utf8)
        guard x.count == y.count else { return false }
        let same = x.withContiguousStorageIfAvailable { p in
            y.withContiguousStorageIfAvailable { q in p.isEmpty || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0
            }
        }
        return (same ?? nil) ?? x.elementsEqual(y)
    }

    public func hash(into hasher: inout Hasher) {
        if name.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for byte in name.utf8 { hasher.combine(byte) }
        }
        hasher.combine(name.utf8.count)
    }

    public static func < (a: NameKey, b: NameKey) -> Bool { a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }

    public var description: String { name }
}

/// Calls `body` with `name`'s exact bytes as a C string (see ``ArchiveName``): the form every system call that
/// takes an archive name gets.
@inline(__always)
func fsName<T>(_ name: String, _ body: (UnsafePointer<CChar>) -> T) -> T {
    ArchiveName.withCString(name, body)
}

/// ``fsName(_:_:)`` for calls that take two names.
@inline(__always)
func fsNames<T>(_ first: String, _ second: String, _ body: (UnsafePointer<CChar>, UnsafePointer<CChar>) -> T) -> T {
    ArchiveName.withCString(first) { a in ArchiveName.withCString(second) { b in body(a, b) } }
}
