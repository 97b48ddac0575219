import CLibCurl
import Glibc
import PhonePackCore
import Synchronization

/// What a request sends as its body.
public enum HTTPBody: Sendable {
    case none
    case bytes([UInt8])
    /// A byte range of an open file, read as it is sent (a multipart part, a whole tar): never held in memory, and
    /// read from the descriptor that was opened and checked, never from a path that could have changed since.
    case file(OpenFile, offset: Int64, length: Int64)
    /// Exactly `length` bytes made while sending (a tar being built): `fill` writes into the buffer and returns
    /// how many bytes it wrote. It cannot be rewound, so a request with it is never retried.
    case producer(length: Int64, fill: @Sendable (UnsafeMutableRawBufferPointer) -> Int)

    var length: Int64 {
        switch self {
        case .none: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, _, let length), .producer(let length, _): length
        }
    }

    /// Whether the body can be sent again (for a retry or a redirect).
    var isReplayable: Bool {
        if case .producer = self { return false }
        return true
    }
}

/// A response: status, headers in order, and the body when it was kept in memory.
public struct ServiceResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.name.lowercased() == lower }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The request id any of the vendors put in a header.
    public var requestID: String? {
        ["x-obs-request-id", "x-oss-request-id", "x-amz-request-id", "x-acs-request-id", "X-Request-Id"]
            .lazy.compactMap { header($0) }.first
    }
}

/// A URL as it may be shown or logged: the query (which may carry a presigned signature or token) is cut.
func redactedURL(_ url: String) -> String {
    guard let question = url.firstIndex(of: "?") else { return url }
    return String(url[..<question]) + "?…"
}

/// A ranged GET answered with the whole object (or more than the range): the cause that makes a download fall
/// back to one stream. A fact about the answer, not a vendor code.
public struct RangeNotHonored: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var description: String { "the server answered \(status) to a Range request" }
}

extension PhonePackError {
    /// The server ignored a Range request (its cause is ``RangeNotHonored``).
    public var isRangeNotHonored: Bool { cause is RangeNotHonored }
}
