import Foundation
import PhonePackCloud
import PhonePackCore
import Testing

/// One request shape of `Fixtures/sdk-vectors.json` (made by `Tests/Scripts/make_sdk_vectors.py` with the vendors'
/// SDKs): an operation, the path the SDK itself sends for it, and the signature the SDK computes.
struct SDKVector: Decodable, Sendable, CustomTestStringConvertible {
    struct Expected: Decodable, Sendable {
        var path: String
        var authorization: String?
        var query: [[String]]?
    }
    var name: String
    var store: String
    var scheme: String
    var host: String
    var region: String
    var pathStyle: Bool
    var bucket: String
    var key: String
    var method: String
    var query: [[String?]]
    var headers: [[String]]
    var time: Int64
    var expires: Int?
    var expected: Expected
    var testDescription: String { name }

    struct File: Decodable {
        var accessKey: String
        var secretKey: String
        var vectors: [SDKVector]
    }

    static let file: File? = {
        guard let url = Bundle.module.url(forResource: "Fixtures/sdk-vectors", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return nil }
        return try? JSONDecoder().decode(File.self, from: data)
    }()

    static var all: [SDKVector] { file?.vectors ?? [] }

    /// The store client phonepack would use for this vector's endpoint, scheme and bucket.
    func client() throws -> ObjectStoreClient {
        let scheme = ObjectURL.Scheme(rawValue: store)!
        let service = try ServiceURL(parsing: "http://\(host)", service: store, allowInsecureHTTP: true)
        let endpoint = ObjectStoreEndpoint(
            store: scheme, service: service, region: region,
            signature: ObjectStoreEndpoint.Signature(rawValue: self.scheme))
        let file = Self.file!
        return ObjectStoreClient(
            bucket: bucket, endpoint: endpoint,
            credentials: Credentials(accessKey: file.accessKey, secretKey: file.secretKey, source: "vector"),
            client: CloudClient())
    }
}

@Suite("phonepack's requests against the vendors' SDKs (issue 25)")
struct SDKVectorTests {
    @Test("the fixture holds every shape for every scheme and addressing style")
    func counts() {
        let vectors = SDKVector.all
        #expect(vectors.count == 244)
        #expect(Set(vectors.map(\.scheme)) == ["obs", "v4", "oss1", "oss4"])
        #expect(vectors.filter { $0.expires != nil }.count == 10)
    }

    @Test(
        "same path as the SDK sends, same signature as the SDK computes",
        arguments: SDKVector.all.filter { $0.expires == nil })
    func signed(_ v: SDKVector) throws {
        let store = try v.client()
        var request = store.request(v.method, key: v.key, query: v.query.map { ($0[0]!, $0[1]) })
        for header in v.headers { request.setHeader(header[0], header[1]) }
        _ = store.sign(&request, key: v.key, time: v.time)
        #expect(request.encodedPath == v.expected.path)
        #expect(request.host == (v.pathStyle ? v.host : "\(v.bucket).\(v.host)"))
        #expect(request.header("Authorization") == v.expected.authorization)
    }

    @Test(
        "presigned URLs: same path and the same signed query as the SDK",
        arguments: SDKVector.all.filter { $0.expires != nil })
    func presigned(_ v: SDKVector) throws {
        let url = try #require(URLComponents(string: try v.client().presign(v.key, expires: v.expires!, now: v.time)))
        #expect(url.percentEncodedPath == v.expected.path)
        let query = (url.queryItems ?? []).map { [$0.name, $0.value ?? ""] }.sorted { $0[0] < $1[0] }
        #expect(query == (v.expected.query ?? []).sorted { $0[0] < $1[0] })
    }
}
