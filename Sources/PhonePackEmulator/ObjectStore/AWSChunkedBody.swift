import PhonePackCore

/// An `aws-chunked` body, as the AWS SDKs stream uploads with SigV4: `HEX[;chunk-signature=SIG]\r\n`, that many
/// bytes, `\r\n`, again and again, a zero-size chunk, then trailer lines (`x-amz-checksum-crc32:…`, and
/// `x-amz-trailer-signature:…` when signed) and an empty line. Fed the raw bytes as they arrive, it hands back
/// the payload and keeps the trailers. For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` every chunk's signature
/// is checked along the chain that starts at the request's own signature. Framing that does not parse is refused,
/// never guessed at: stored bytes are the payload and nothing else.
final class AWSChunkedBody {
    /// The signing context of a signed stream: each chunk signs the one before.
    struct Chain {
        /// The request's SigV4 signing key and scope (`DATE/REGION/SERVICE/aws4_request`).
        var key: [UInt8]
        var amzDate: String
        var scope: String
        var previous: String

        /// `AWS4-HMAC-SHA256-PAYLOAD` (a chunk) or `-TRAILER`: each signs the signature before it and its bytes' hash.
        func sign(_ kind: String, hashes: String) -> String {
            Wire.hmac(.sha256, key: key, "AWS4-HMAC-SHA256-\(kind)\n\(amzDate)\n\(scope)\n\(previous)\n\(hashes)")
                .hexString
        }
    }

    private enum State {
        case size
        case data(remaining: Int64)
        case dataEnd
        case trailer
        case done
    }

    private var state = State.size
    private var line: [UInt8] = []
    private var chain: Chain?
    private var chunkHash = Digest(.sha256)
    private var claimed = ""
    private var trailerText = ""
    private(set) var trailers: [String: String] = [:]

    init(chain: Chain?) { self.chain = chain }

    /// The decoder a request needs: one when its body is `aws-chunked` (`Content-Encoding`) or its payload line a
    /// `STREAMING-…` marker, else nil.
    static func of(_ request: IncomingRequest) -> AWSChunkedBody? {
        let encoding = request.header("Content-Encoding")?.lowercased() ?? ""
        let payload = request.header("x-amz-content-sha256") ?? ""
        guard encoding.contains("aws-chunked") || payload.hasPrefix("STREAMING-") else { return nil }
        return AWSChunkedBody(chain: request.chain)
    }

    func feed(_ bytes: UnsafeRawBufferPointer, payload: (UnsafeRawBufferPointer) -> Void) throws(Refusal) {
        var index = 0
        while index < bytes.count {
            if case .data(let remaining) = state {
                let take = Int(min(remaining, Int64(bytes.count - index)))
                let slice = UnsafeRawBufferPointer(rebasing: bytes[index..<index + take])
                payload(slice)
                if chain != nil { chunkHash.update(slice) }
                index += take
                state = remaining == Int64(take) ? .dataEnd : .data(remaining: remaining - Int64(take))
                continue
            }
            if case .done = state { throw Self.malformed("bytes after the end of the chunked body") }
            let byte = bytes[index]
            index += 1
            line.append(byte)
            guard line.count <= 4096 else { throw Self.malformed("a chunk header or trailer line over 4 KiB") }
            guard line.count >= 2, line[line.count - 2] == 0x0D, byte == 0x0A else { continue }
            let text = String(decoding: line.dropLast(2), as: UTF8.self)
            line.removeAll(keepingCapacity: true)
            try take(line: text)
        }
    }

    private func take(line text: String) throws(Refusal) {
        switch state {
        case .size:
            let fields = text.split(separator: ";", maxSplits: 1)
            guard let hex = fields.first, hex.count <= 15, let size = Int64(hex, radix: 16), size >= 0 else {
                throw Self.malformed("chunk size \(text.prefix(40).debugDescription)")
            }
            claimed = ""
            if fields.count == 2 {
                guard fields[1].hasPrefix("chunk-signature=") else {
                    throw Self.malformed("chunk extension \(fields[1].prefix(40).debugDescription)")
                }
                claimed = String(fields[1].dropFirst("chunk-signature=".count))
            }
            if chain != nil && claimed.isEmpty { throw Self.malformed("a signed stream's chunk without a signature") }
            chunkHash = Digest(.sha256)
            if size == 0 {
                try checkChunk()
                state = .trailer
            } else {
                state = .data(remaining: size)
            }
        case .dataEnd:
            guard text.isEmpty else { throw Self.malformed("chunk data longer than its size") }
            try checkChunk()
            state = .size
        case .trailer:
            if text.isEmpty {
                state = .done
                return
            }
            guard let colon = text.firstIndex(of: ":") else { throw Self.malformed("trailer line without a colon") }
            let name = text[..<colon].lowercased()
            let value = String(text[text.index(after: colon)...])
            if name == "x-amz-trailer-signature" {
                if var chain {
                    let expected = chain.sign("TRAILER", hashes: Wire.sha256Hex(trailerText))
                    guard value == expected else { throw Self.signatureMismatch("trailer") }
                    chain.previous = expected
                    self.chain = chain
                }
            } else {
                // A client sends one checksum or two; a body of endless trailer lines is refused, not kept.
                guard trailers.count < 16 else { throw Self.malformed("more than 16 trailer lines") }
                trailers[name] = value
                trailerText += "\(name):\(value)\n"
            }
        case .data, .done:
            break
        }
    }

    /// Checks the chunk just read against the chain (signed streams only).
    private func checkChunk() throws(Refusal) {
        guard var chain else { return }
        let expected = chain.sign("PAYLOAD", hashes: Wire.sha256Hex("") + "\n" + chunkHash.finalize().hexString)
        guard claimed == expected else { throw Self.signatureMismatch("chunk") }
        chain.previous = expected
        self.chain = chain
    }

    /// Refuses a body that ended before its last chunk and the empty line after the trailers.
    func finish() throws(Refusal) {
        guard case .done = state else { throw Self.malformed("the body ended inside a chunk") }
    }

    private static func malformed(_ what: String) -> Refusal {
        Refusal(status: 400, code: "IncompleteBody", message: "The aws-chunked body is malformed: \(what).")
    }

    private static func signatureMismatch(_ what: String) -> Refusal {
        Refusal(
            status: 403, code: "SignatureDoesNotMatch",
            message: "The \(what) signature of the aws-chunked body does not match what we calculated.")
    }
}
