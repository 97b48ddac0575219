import CLibExpat
import Glibc
import PhonePackCore

/// One element of a parsed XML document: its local name (any `prefix:` dropped), the character data directly
/// inside it, and its child elements in order.
public struct XMLNode: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLNode]

    /// The first child called `name`.
    public func first(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// Every child called `name`, in document order.
    public func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// The text of the first child called `name` (`nil` when there is none).
    public subscript(_ name: String) -> String? { first(name)?.text }
}

/// Reads XML with libexpat into ``XMLNode``s. Every document is hostile until read: a DOCTYPE (and so every
/// entity declaration: no "billion laughs", no external entities) is refused, and size, depth and element count
/// are bounded.
public enum XMLReader {
    public struct Limits: Sendable {
        public var maxBytes = 64 << 20
        public var maxDepth = 32
        public var maxElements = 1_000_000

        public init() {}
    }

    /// Parses `bytes`; `source` (a URL or "request body") names the document in errors.
    public static func parse(_ bytes: [UInt8], source: String, limits: Limits = Limits()) throws(PhonePackError)
        -> XMLNode
    {
        guard bytes.count <= limits.maxBytes else {
            throw refusal(source, "is \(bytes.count) bytes of XML, more than the \(limits.maxBytes) allowed")
        }
        let parser = ExpatParser()
        let builder = Builder(limits: limits, parser: parser.handle)
        let status = withExtendedLifetime(builder) { () -> XML_Status in
            XML_SetUserData(parser.handle, Unmanaged.passUnretained(builder).toOpaque())
            XML_SetElementHandler(parser.handle, startElement, endElement)
            XML_SetCharacterDataHandler(parser.handle, characterData)
            XML_SetStartDoctypeDeclHandler(parser.handle, startDoctype)
            XML_SetEntityDeclHandler(parser.handle, entityDeclaration)
            return bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    XML_Parse(parser.handle, $0.baseAddress, Int32(clamping: $0.count), 1)
                }
            }
        }
        if let problem = builder.problem { throw refusal(source, problem) }
        guard status == XML_STATUS_OK, let root = builder.root else {
            let reason = XML_ErrorString(XML_GetErrorCode(parser.handle)).map { String(cString: $0) } ?? "unreadable"
            let line = XML_GetCurrentLineNumber(parser.handle)
            throw refusal(source, "is not well-formed XML (\(reason), line \(line))")
        }
        return root
    }

    static func refusal(_ source: String, _ message: String) -> PhonePackError {
        PhonePackError(.service, operation: "read XML", path: source, message: message)
    }

    /// The parse state behind expat's `userData`: a stack of open elements.
    final class Builder {
        let limits: Limits
        let parser: XML_Parser
        var stack: [(name: String, text: [UInt8], children: [XMLNode])] = []
        var root: XMLNode?
        var elements = 0
        var problem: String?

        init(limits: Limits, parser: XML_Parser) {
            self.limits = limits
            self.parser = parser
        }

        func stop(_ problem: String) {
            if self.problem == nil { self.problem = problem }
            XML_StopParser(parser, XML_FALSE)
        }
    }
}

/// The `XML_Parser` handle, freed when its one owner goes.
private final class ExpatParser {
    let handle: XML_Parser

    init() {
        // Only allocation failure makes this nil; there is nothing sensible to do then.
        handle = XML_ParserCreate(nil)!
    }

    deinit { XML_ParserFree(handle) }
}

private func builder(_ data: UnsafeMutableRawPointer?) -> XMLReader.Builder {
    Unmanaged<XMLReader.Builder>.fromOpaque(data!).takeUnretainedValue()
}

private let startElement: XML_StartElementHandler = { data, name, _ in
    let builder = builder(data)
    guard builder.problem == nil else { return }
    builder.elements += 1
    guard builder.stack.count < builder.limits.maxDepth else {
        return builder.stop("nests elements deeper than \(builder.limits.maxDepth)")
    }
    guard builder.elements <= builder.limits.maxElements else {
        return builder.stop("has more than \(builder.limits.maxElements) elements")
    }
    // The local name: the bytes after the last ':' (S3 answers carry a default namespace, not prefixes).
    var local = ""
    if let name {
        let bytes = UnsafeRawBufferPointer(start: name, count: strlen(name))
        let start = (bytes.lastIndex(of: UInt8(ascii: ":")) ?? -1) + 1
        local = String(decoding: bytes[start...], as: UTF8.self)
    }
    builder.stack.append((local, [], []))
}

private let endElement: XML_EndElementHandler = { data, _ in
    let builder = builder(data)
    guard builder.problem == nil, let open = builder.stack.popLast() else { return }
    let node = XMLNode(name: open.name, text: String(decoding: open.text, as: UTF8.self), children: open.children)
    if builder.stack.isEmpty {
        builder.root = node
    } else {
        builder.stack[builder.stack.count - 1].children.append(node)
    }
}

private let characterData: XML_CharacterDataHandler = { data, text, length in
    let builder = builder(data)
    guard builder.problem == nil, !builder.stack.isEmpty, let text, length > 0 else { return }
    text.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
        builder.stack[builder.stack.count - 1].text.append(
            contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
    }
}

private let startDoctype: XML_StartDoctypeDeclHandler = { data, _, _, _, _ in
    builder(data).stop("declares a DOCTYPE, which no object-store answer has (entity expansion is refused)")
}

private let entityDeclaration: XML_EntityDeclHandler = { data, _, _, _, _, _, _, _, _ in
    builder(data).stop("declares an entity, which no object-store answer has")
}
