import Foundation
import PhonePackCloud
import PhonePackCore
import Testing

@Suite("Signers against the vendors' vectors")
struct SignerVectorTests {
    static let apigVectors = Vector.load("huawei-vectors", algorithm: "SDK-HMAC-SHA256 (Huawei Cloud APIG AK/SK)")
    static let obsVectors = Vector.load("huawei-vectors", algorithm: "OBS native (HMAC-SHA1, 'OBS AK:sig')")
    static let v2Vectors = Vector.load("huawei-vectors", algorithm: "S3 V2 compatible (HMAC-SHA1, 'AWS AK:sig')")
    static let v4Vectors = Vector.load("huawei-vectors", algorithm: "AWS4-HMAC-SHA256 (S3 SigV4, UNSIGNED-PAYLOAD)")
    static let acs3Vectors = Vector.load("alibaba-vectors", algorithm: "ACS3-HMAC-SHA256")
    static let rpcVectors = Vector.load("alibaba-vectors", algorithm: "HMAC-SHA1 (RPC, SignatureVersion 1.0)")
    static let ossV1Vectors = Vector.load("alibaba-vectors", algorithm: "OSS V1 (HMAC-SHA1)")
    static let ossV4Vectors = Vector.load("alibaba-vectors", algorithm: "OSS4-HMAC-SHA256")
    static let ossV4QueryVectors = Vector.load("alibaba-vectors", algorithm: "OSS4-HMAC-SHA256 (query/presign)")
    static let ossV1QueryVectors = Vector.load("alibaba-vectors", algorithm: "OSS V1 (HMAC-SHA1, query/presign)")

    @Test("SigV4 streaming: chunk signatures chain as in AWS's worked example (65 KiB, 1 KiB, then the final chunk)")
    func chunkChain() {
        let signer = SigV4Signer(
            credentials: Credentials(
                accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                source: "AWS docs"),
            region: "us-east-1", service: "s3")
        var previous = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        var chain: [String] = []
        for chunk in [[UInt8](repeating: 0x61, count: 65536), [UInt8](repeating: 0x61, count: 1024), []] {
            previous = signer.chunkSignature(
                amzDate: "20130524T000000Z", previous: previous, chunkSHA256: Digest.hash(.sha256, chunk).hexString)
            chain.append(previous)
        }
        #expect(
            chain == [
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ])
    }

    @Test("every signing vector was loaded")
    func counts() {
        #expect(
            [Self.apigVectors.count, Self.obsVectors.count, Self.v2Vectors.count, Self.v4Vectors.count] as [Int] == [
                8, 11, 4, 1,
            ])
        #expect(
            [Self.acs3Vectors.count, Self.rpcVectors.count, Self.ossV1Vectors.count, Self.ossV4Vectors.count] as [Int]
                == [11, 5, 7, 7])
        #expect([Self.ossV4QueryVectors.count, Self.ossV1QueryVectors.count] as [Int] == [1, 1])
    }

    /// The vector's key pair (Huawei vectors name them ak/sk, Alibaba's access_key_id/access_key_secret).
    static func keys(_ v: Vector, _ id: String = "access_key_id", _ secret: String = "access_key_secret") -> Credentials
    {
        Credentials(accessKey: v.string(id)!, secretKey: v.string(secret)!, source: "vector")
    }

    static func bodyHash(_ v: Vector) -> String {
        if let hex = v.string("body_hex"), let bytes = [UInt8](hexString: hex) {
            return Digest.hash(.sha256, bytes).hexString
        }
        if let text = v.string("body_utf8") { return Digest.hash(.sha256, Array(text.utf8)).hexString }
        return emptyPayloadSHA256
    }

    @Test("API gateway SDK-HMAC-SHA256", arguments: apigVectors)
    func apiGateway(_ v: Vector) {
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host")!, path: v.string("path")!,
            query: v.pairs("query"), headers: v.dictionary("headers_before_signing").map { ($0.key, $0.value) })
        let date = request.header("X-Sdk-Date")!
        let details = APIGatewaySigner(credentials: Self.keys(v, "ak", "sk"))
            .sign(&request, date: date, bodySHA256: Self.bodyHash(v))
        #expect(details.canonicalRequest == v.expect("canonical_request"))
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(details.signature == v.expect("signature"))
        #expect(request.header("Authorization") == v.expect("authorization"))
        let finalURI = v.expect("final_uri")!
        let expectedQuery = finalURI.contains("?") ? String(finalURI.split(separator: "?", maxSplits: 1)[1]) : ""
        #expect(request.encodedQuery == expectedQuery)
    }

    func checkOBS(_ v: Vector, flavor: OBSSigner.Flavor) {
        let headers = v.dictionary("headers")
        let key = v.string("object_key")
        let bucket = v.string("bucket")
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host")!, path: "/" + (key ?? ""),
            query: v.pairs("query_params_in_order_sent"), headers: headers.map { ($0.key, $0.value) })
        let signer = OBSSigner(credentials: Self.keys(v, "ak", "sk"), flavor: flavor)
        let details = signer.sign(
            &request, bucket: bucket, key: key, pathStyle: v.string("addressing") == "path-style",
            date: headers["Date"] ?? "")
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(details.signature == v.expect("signature_base64"))
        #expect(request.header("Authorization") == v.expect("authorization"))
        // The target the request goes to: the key encoded, the query as sent.
        if let target = v.string("request_target"), v.string("addressing") == "virtual-hosted" {
            let sent = request.encodedPath + (request.query.isEmpty ? "" : "?" + request.encodedQuery)
            #expect(sent.removingPercentEncoding == target.removingPercentEncoding)
        }
    }

    @Test("OBS native", arguments: obsVectors)
    func obsNative(_ v: Vector) { checkOBS(v, flavor: .native) }

    @Test("S3 V2 on OBS", arguments: v2Vectors)
    func s3V2(_ v: Vector) { checkOBS(v, flavor: .s3V2) }

    @Test("SigV4 with UNSIGNED-PAYLOAD", arguments: v4Vectors)
    func sigV4(_ v: Vector) {
        var request = SignableRequest(
            method: v.string("method")!, host: v.dictionary("headers")["Host"]!, path: "/" + v.string("object_key")!,
            query: v.pairs("query_params"), headers: v.dictionary("headers").map { ($0.key, $0.value) })
        let details = SigV4Signer(
            credentials: Self.keys(v, "ak", "sk"), region: v.string("region")!, service: v.string("service")!
        ).sign(&request, amzDate: v.string("amz_date")!)
        #expect(details.canonicalRequest == v.expect("canonical_request"))
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(details.signature == v.expect("signature"))
        #expect(request.header("Authorization") == v.expect("authorization"))
    }

    @Test("Alibaba ACS3-HMAC-SHA256", arguments: acs3Vectors)
    func acs3(_ v: Vector) {
        let headers = v.dictionary("headers")
        var request = SignableRequest(
            method: v.string("method")!, host: headers["host"]!, path: v.string("path") ?? "/",
            query: v.dictionary("query").map { ($0.key, $0.value) }, headers: headers.map { ($0.key, $0.value) })
        let body = Digest.hash(.sha256, Array((v.string("body") ?? "").utf8)).hexString
        let details = ACS3Signer(credentials: Self.keys(v))
            .sign(&request, date: headers["x-acs-date"]!, nonce: headers["x-acs-signature-nonce"]!, bodySHA256: body)
        #expect(details.canonicalRequest == v.expect("canonical_request"))
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(details.signature == v.expect("signature"))
        #expect(request.header("Authorization") == v.expect("authorization"))
        if let query = v.expect("canonical_query_string") { #expect(request.encodedQuery == query) }
    }

    @Test("Alibaba RPC HMAC-SHA1", arguments: rpcVectors)
    func rpc(_ v: Vector) {
        let parameters = v.dictionary("params_before_signing")
        var request = SignableRequest(
            method: v.string("method")!, host: "ecs.aliyuncs.com", path: "/",
            query: parameters.map { ($0.key, $0.value) })
        let details = AlibabaRPCSigner(credentials: Self.keys(v))
            .sign(&request, timestamp: parameters["Timestamp"]!, nonce: parameters["SignatureNonce"]!)
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(details.signature == v.expect("signature"))
        #expect(request.encodedQuery == v.expect("final_query_string"))
    }

    /// OSS vectors give `{"uploads": ""}` for a bare sub-resource.
    static func ossQuery(_ v: Vector) -> [(name: String, value: String?)] {
        v.dictionary("query").map { ($0.key, $0.value.isEmpty ? nil : $0.value) }
    }

    @Test("OSS V1 header", arguments: ossV1Vectors)
    func ossV1(_ v: Vector) {
        let headers = v.dictionary("headers")
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host") ?? "oss.example", path: "/" + v.string("key")!,
            query: Self.ossQuery(v), headers: headers.map { ($0.key, $0.value) })
        let details = OSSV1Signer(credentials: Self.keys(v)).sign(
            &request, bucket: v.string("bucket"), key: v.string("key"), date: headers["Date"] ?? "")
        #expect(details.stringToSign == v.expect("string_to_sign"))
        if let signature = v.expect("signature") { #expect(details.signature == signature) }
        #expect(request.header("Authorization") == v.expect("authorization"))
    }

    @Test("OSS V4 header", arguments: ossV4Vectors)
    func ossV4(_ v: Vector) {
        let headers = v.dictionary("headers")
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host") ?? "oss.example", path: "/" + v.string("key")!,
            query: Self.ossQuery(v), headers: headers.map { ($0.key, $0.value) })
        let additional = (v.inputs["additional_headers"] as? [any Sendable] ?? []).map { "\($0)" }
        let details = OSSV4Signer(credentials: Self.keys(v), region: v.string("region")!).sign(
            &request, bucket: v.string("bucket"), key: v.string("key"), ossDate: headers["x-oss-date"]!,
            additionalHeaders: additional)
        #expect(details.canonicalRequest == v.expect("canonical_request"))
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect(request.header("Authorization") == v.expect("authorization"))
    }

    @Test("OSS V4 presigned URL", arguments: ossV4QueryVectors)
    func ossV4Presign(_ v: Vector) {
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host")!, path: "/" + v.string("key")!)
        let time = v.string("signing_time")!.replacingOccurrences(of: "-", with: "").replacingOccurrences(
            of: ":", with: "")
        let details = OSSV4Signer(credentials: Self.keys(v), region: v.string("region")!).presign(
            &request, bucket: v.string("bucket"), key: v.string("key"), ossDate: time,
            expires: Int(v.string("expires_seconds")!)!, additionalHeaders: ["host"])
        #expect(details.canonicalRequest == v.expect("canonical_request"))
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect("https://\(request.host)\(request.encodedPath)?\(request.encodedQuery)" == v.expect("url"))
    }

    @Test("OSS V1 presigned URL", arguments: ossV1QueryVectors)
    func ossV1Presign(_ v: Vector) {
        var request = SignableRequest(
            method: v.string("method")!, host: v.string("host")!, path: "/" + v.string("key")!)
        let details = OSSV1Signer(credentials: Self.keys(v)).presign(
            &request, bucket: v.string("bucket"), key: v.string("key"), expires: Int64(v.string("expires_unix")!)!)
        #expect(details.stringToSign == v.expect("string_to_sign"))
        #expect("https://\(request.host)\(request.encodedPath)?\(request.encodedQuery)" == v.expect("url"))
    }
}
