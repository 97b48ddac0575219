import PhonePackCore

/// The cloud-phone APIs' signatures, computed from the request as it arrived (see ``Wire``): Huawei's API-gateway
/// `SDK-HMAC-SHA256` (CPH, IAM) and Alibaba's ACS3-HMAC-SHA256 and RPC HMAC-SHA1 (eds-aic).
enum APISignatures {
    /// A computed signature and the text it signs (servers echo the latter to help debug a mismatch).
    struct Computed {
        var signature: String
        var stringToSign: String
    }

    /// Huawei API gateway: each path segment encoded with a trailing `/`, the query sorted by name and value, the
    /// signed headers, and the payload hash (empty body: the empty hash; else `X-Sdk-Content-Sha256` if sent,
    /// else the body's SHA-256).
    static func apiGateway(
        _ request: IncomingRequest, path: String, signed: [String], date: String, body: [UInt8], secret: String
    ) -> Computed {
        var uri = path.split(separator: "/", omittingEmptySubsequences: false).map { Wire.encode(String($0)) }
            .joined(separator: "/")
        if !uri.hasSuffix("/") { uri += "/" }
        let query = request.query.map { ($0.name, $0.value ?? "") }
            .sorted { $0.0 != $1.0 ? precedes($0.0, $1.0) : precedes($0.1, $1.1) }
            .map { "\(Wire.encode($0.0))=\(Wire.encode($0.1))" }.joined(separator: "&")
        let headers = signed.map { "\($0):\(Wire.headerValues(request.headers, $0) ?? "")\n" }.joined()
        let payload =
            body.isEmpty
            ? Wire.sha256Hex("")
            : request.header("X-Sdk-Content-Sha256") ?? Digest.hash(.sha256, body).hexString
        let canonical = [request.method, uri, query, headers, signed.joined(separator: ";"), payload]
            .joined(separator: "\n")
        let text = "SDK-HMAC-SHA256\n\(date)\n\(Wire.sha256Hex(canonical))"
        return Computed(signature: Wire.hmac(.sha256, key: Array(secret.utf8), text).hexString, stringToSign: text)
    }

    /// Alibaba ACS3: the path, the query encoded and sorted, the signed headers (values trimmed, repeated values
    /// sorted and joined), the `x-acs-content-sha256` payload line.
    static func acs3(_ request: IncomingRequest, path: String, signed: [String], secret: String) -> Computed {
        let query = request.query.compactMap { item in item.value.map { (Wire.encode(item.name), Wire.encode($0)) } }
            .sorted { precedes($0.0, $1.0) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let headers = signed.map { name in
            let values = request.headers.filter { $0.name.lowercased() == name }.map { Wire.trim($0.value) }.sorted()
            return "\(name):\(values.joined(separator: ","))\n"
        }.joined()
        let canonical = [
            request.method, path, query, headers, signed.joined(separator: ";"),
            request.header("x-acs-content-sha256") ?? "",
        ].joined(separator: "\n")
        let text = "ACS3-HMAC-SHA256\n\(Wire.sha256Hex(canonical))"
        return Computed(signature: Wire.hmac(.sha256, key: Array(secret.utf8), text).hexString, stringToSign: text)
    }

    /// Alibaba RPC (SignatureVersion 1.0): every parameter but `Signature`, encoded and sorted, encoded once more
    /// behind `METHOD&%2F&`, HMAC-SHA1 with `SECRET&`.
    static func rpc(method: String, parameters: [(name: String, value: String)], secret: String) -> Computed {
        let query = parameters.filter { $0.name != "Signature" }
            .map { (Wire.encode($0.name), Wire.encode($0.value)) }
            .sorted { precedes($0.0, $1.0) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let text = "\(method)&%2F&\(Wire.encode(query))"
        return Computed(
            signature: Wire.hmac(.sha1, key: Array((secret + "&").utf8), text).base64String, stringToSign: text)
    }

    /// Byte order, as the SDKs sort (a `String` comparison would order by Unicode scalars after normalising).
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
