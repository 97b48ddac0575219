import Foundation
import PhonePackCore
import Testing

/// One validation vector from `../shared/vectors/huawei.json` (copied into Fixtures so the tests stand alone).
struct ValidationVector: Sendable, CustomTestStringConvertible {
    var name: String
    var value: String
    var valid: Bool
    var reason: String?
    var testDescription: String { name.count > 60 ? String(name.prefix(60)) + "…" : name }

    static func load(algorithm: String, field: String) throws -> [ValidationVector] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/huawei-vectors", withExtension: "json"))
        let all = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        return all.filter { $0["algorithm"] as? String == algorithm }.compactMap { vector in
            guard let inputs = vector["inputs"] as? [String: Any], let value = inputs[field] as? String,
                let expected = vector["expected"] as? [String: Any], let valid = expected["valid"] as? Bool
            else { return nil }
            return ValidationVector(
                name: vector["name"] as? String ?? "?", value: value, valid: valid,
                reason: expected["reason"] as? String)
        }
    }
}

@Suite("Field rules against the vendor vectors")
struct FieldRulesTests {
    static let packageVectors =
        (try? ValidationVector.load(algorithm: "CPH package_name validation", field: "package_name")) ?? []
    static let bucketVectors =
        (try? ValidationVector.load(algorithm: "OBS/CPH bucket_name validation", field: "bucket_name")) ?? []
    static let objectPathVectors =
        (try? ValidationVector.load(algorithm: "CPH object_path validation", field: "object_path")) ?? []

    @Test("every vector of each kind was loaded")
    func vectorsLoaded() {
        #expect(Self.packageVectors.count == 13)
        #expect(Self.bucketVectors.count == 12)
        #expect(Self.objectPathVectors.count == 6)
    }

    @Test("package_name", arguments: packageVectors)
    func packageName(_ vector: ValidationVector) {
        let check = FieldRules.packageName(vector.value)
        #expect(check.isValid == vector.valid)
        #expect(check.violation == vector.reason)
    }

    @Test("bucket_name", arguments: bucketVectors)
    func bucketName(_ vector: ValidationVector) {
        let check = FieldRules.obsBucketName(vector.value)
        #expect(check.isValid == vector.valid)
        #expect(check.violation == vector.reason)
    }

    @Test("object_path", arguments: objectPathVectors)
    func objectPath(_ vector: ValidationVector) {
        let check = FieldRules.cphObjectPath(vector.value)
        #expect(check.isValid == vector.valid)
        #expect(check.violation == vector.reason)
    }

    @Test("include_files lists", arguments: try! includeFilesVectors())
    func includeFiles(_ vector: (name: String, paths: [String], valid: Bool, reason: String?)) {
        let check = FieldRules.exportIncludeFiles(vector.paths)
        #expect(check.isValid == vector.valid, "\(vector.name)")
        #expect(check.violation == vector.reason, "\(vector.name)")
    }

    static func includeFilesVectors() throws -> [(name: String, paths: [String], valid: Bool, reason: String?)] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/huawei-vectors", withExtension: "json"))
        let all = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        return all.filter { $0["algorithm"] as? String == "CPH batch-storage include_files validation" }.compactMap {
            guard let inputs = $0["inputs"] as? [String: Any], let paths = inputs["include_files"] as? [String],
                let expected = $0["expected"] as? [String: Any], let valid = expected["valid"] as? Bool
            else { return nil }
            return ($0["name"] as? String ?? "?", paths, valid, expected["reason"] as? String)
        }
    }

    static let shareFileVectors =
        (try? ValidationVector.load(algorithm: "CPH DeleteShareFiles file_paths validation", field: "file_path")) ?? []

    @Test("DeleteShareFiles file_paths", arguments: shareFileVectors)
    func shareFilePath(_ vector: ValidationVector) {
        let check = FieldRules.shareFilePath(vector.value)
        #expect(check.isValid == vector.valid)
        #expect(check.violation == vector.reason)
    }

    @Test("every include_files and file_paths vector was loaded")
    func moreVectorsLoaded() throws {
        #expect(try Self.includeFilesVectors().count == 10)
        #expect(Self.shareFileVectors.count == 6)
    }

    @Test("include/exclude select phone paths as the export API does; exclude wins")
    func exportFilter() throws {
        let filter = try ExportPathFilter(
            includes: ["/data/app/com.x-*", "/data/data/com.x/"], excludes: ["/data/data/com.x/cache"])
        #expect(filter.selects("data/app/com.x-1/base.apk"))
        #expect(filter.selects("data/app/com.x-Ab3=="))
        #expect(!filter.selects("data/app/com.y-1/base.apk"))
        #expect(filter.selects("data/data/com.x"))
        #expect(filter.selects("data/data/com.x/shared_prefs/a.xml"))
        #expect(!filter.selects("data/data/com.xy/a"))
        #expect(!filter.selects("data/data/com.x/cache"))
        #expect(!filter.selects("data/data/com.x/cache/img.bin"))
        #expect(filter.selects("data/data/com.x/cache2"))
        #expect(try ExportPathFilter().selects("anything/at/all"))
        #expect(try ExportPathFilter(excludes: ["/data/misc"]).selects("data/data/x"))
        #expect(throws: PhonePackError.self) { try ExportPathFilter(includes: ["data/data/com.x"]) }
        #expect(throws: PhonePackError.self) { try ExportPathFilter(includes: ["/data/*/base.apk"]) }
    }

    @Test("Android's stricter package rule is a warning, not an error")
    func androidWarning() {
        #expect(FieldRules.packageName("com..example").warnings.count == 1)
        #expect(FieldRules.packageName(".hidden").warnings.count == 1)
        #expect(FieldRules.packageName("com.example.game").warnings.isEmpty)
    }

    @Test("Alibaba buckets and keys")
    func alibaba() {
        #expect(FieldRules.cloudPhoneBucketName("cloudphone-saved-bucket-demo").isValid)
        #expect(FieldRules.cloudPhoneBucketName("my-builds").violation?.contains("cloudphone-saved-bucket-") == true)
        #expect(FieldRules.ossBucketName("my.bucket").violation == "only lowercase letters, digits and '-'")
        #expect(FieldRules.ossObjectKey("/apps/a.apk").violation == "must not start with '/' or '\\'")
        #expect(
            FieldRules.ossObjectKey(String(repeating: "k", count: 1024)).violation == "length must be 1..1023 bytes")
        #expect(FieldRules.cphPushFileContent("obs://bucket/data/app.tar").isValid)
        #expect(!FieldRules.cphPushFileContent("obs://bucket/my app.tar").isValid)
    }

    @Test("object URLs")
    func objectURL() throws {
        let url = try ObjectURL(parsing: "obs://my-bucket/apps/a.tar")
        #expect(url.scheme == .obs && url.bucket == "my-bucket" && url.key == "apps/a.tar")
        #expect(throws: PhonePackError.self) { try ObjectURL(parsing: "http://x/y") }
        #expect(throws: PhonePackError.self) { try ObjectURL(parsing: "oss:///key") }
    }
}
