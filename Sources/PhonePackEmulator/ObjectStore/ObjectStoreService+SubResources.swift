import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore

/// Sub-resources (`?acl`, `?tagging`, `?location`, …): the ones official clients use are answered, every other one
/// the three stores know is refused with 501 NotImplemented. None of them ever reads or replaces an object's bytes:
/// a `PUT ?acl` that fell through to PutObject would store the ACL document as the object.
extension ObjectStoreService {
    /// Sub-resource names of S3, OBS and OSS (lower-cased), from their API references.
    static let knownSubResources: Set<String> = [
        "accelerate", "acl", "analytics", "append", "asyncfetch", "attributes", "backtosource", "bucketinfo",
        "bucketstatus", "cname", "comp", "cors", "customdomain", "delete", "deletebucket", "directcoldaccess",
        "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "live", "location", "logging",
        "metadata", "metaquery", "metrics", "modify", "notification", "object-lock", "objectinfo", "objectmeta",
        "obscompresspolicy", "ownershipcontrols", "partnumber", "policy", "policystatus", "position",
        "publicaccessblock", "qos", "quota", "referer", "rename", "replication", "requestpayment", "restore",
        "retention", "select", "stat", "storageclass", "storageinfo", "storagepolicy", "symlink", "tagging", "torrent",
        "transferacceleration", "truncate", "uploadid", "uploads", "versionid", "versioning", "versions", "website",
        "worm", "x-image-process", "x-oss-process",
    ]

    /// The answer for a sub-resource request, nil when the request names none (or one the main routes handle:
    /// multipart and batch delete), NotImplemented for one the emulator does not play.
    func subResource(_ bucket: String, _ key: String?, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response?
    {
        let names = Set(request.query.map { $0.name.lowercased() }).intersection(Self.knownSubResources)
        guard !names.isEmpty else { return nil }
        let method = request.method
        if let key, !key.isEmpty {
            if names.isSubset(of: ["uploads", "uploadid", "partnumber"]) && !(names == ["partnumber"]) { return nil }
            switch (method, names) {
            case (_, ["acl"]): return try await acl(bucket, key, request, body)
            case (_, ["tagging"]): return try await tagging(bucket, key, request, body)
            case ("GET", ["objectmeta"]), ("HEAD", ["objectmeta"]):
                let object = try existing(bucket, key)
                var headers = HTTPFields()
                headers[.eTag] = "\"\(object.etag)\""
                headers[.lastModified] = CloudTime.rfc1123(object.lastModified)
                headers[.contentLength] = String(object.size)
                headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(object.crc64)
                return Response(status: .ok, headers: headers)
            default: break
            }
        } else {
            if names == ["uploads"] || (names == ["delete"] && method == "POST") { return nil }
            try requireBucket(bucket)
            switch (method, names) {
            case ("GET", ["location"]):
                let region = signature.region ?? (flavor == .oss ? "oss-cn-hangzhou" : "cn-north-4")
                return xmlResponse("<LocationConstraint>\(xmlEscape(region))</LocationConstraint>")
            case ("GET", ["acl"]): return xmlResponse(aclDocument(nil))
            case ("PUT", ["acl"]):
                _ = try await smallBody(body, limit: 64 << 10, what: "AccessControlPolicy body")
                return Response(status: .ok)
            case ("GET", ["versioning"]):
                return xmlResponse("<VersioningConfiguration/>")
            case ("GET", ["bucketinfo"]) where flavor == .oss:
                return xmlResponse(bucketInfo(bucket))
            case ("GET", ["storageinfo"]), ("GET", ["stat"]):
                let objects = storage.objects(bucket: bucket)
                let size = objects.reduce(Int64(0)) { $0 + $1.size }
                return xmlResponse(
                    flavor == .oss
                        ? "<BucketStat><Storage>\(size)</Storage><ObjectCount>\(objects.count)</ObjectCount></BucketStat>"
                        : "<GetBucketStorageInfoResult><Size>\(size)</Size><ObjectNumber>\(objects.count)</ObjectNumber></GetBucketStorageInfoResult>"
                )
            default: break
            }
        }
        throw Refusal(
            status: 501, code: "NotImplemented",
            message:
                "\(method) ?\(names.sorted().joined(separator: "&")) is not played by phonepack-emulator; nothing was changed"
        )
    }

    private func existing(_ bucket: String, _ key: String) throws(Refusal) -> StoredObject {
        guard let object = storage.object(bucket: bucket, key: key) else {
            throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
        }
        return object
    }

    /// GetObjectAcl / PutObjectAcl: a canned ACL from the header (`x-amz-acl`, `x-obs-acl`, `x-oss-object-acl`)
    /// or an `AccessControlPolicy` body, kept with the object.
    private func acl(_ bucket: String, _ key: String, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response
    {
        var object = try existing(bucket, key)
        switch request.method {
        case "GET":
            return xmlResponse(aclDocument(object.attributes?.acl))
        case "PUT":
            let document = try await smallBody(body, limit: 64 << 10, what: "AccessControlPolicy body")
            var attributes = object.attributes ?? ObjectAttributes()
            attributes.acl =
                ObjectAttributes.vendorHeader(request, "acl") ?? request.header("x-oss-object-acl")
                ?? (document.isEmpty ? "private" : "custom")
            object.attributes = attributes
            try updateRecord(bucket, object)
            return Response(status: .ok)
        default:
            throw Refusal(status: 405, code: "MethodNotAllowed", message: "\(request.method) ?acl")
        }
    }

    /// GetObjectTagging / PutObjectTagging / DeleteObjectTagging.
    private func tagging(_ bucket: String, _ key: String, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response
    {
        var object = try existing(bucket, key)
        var attributes = object.attributes ?? ObjectAttributes()
        switch request.method {
        case "GET":
            var xml = "<Tagging><TagSet>"
            for (name, value) in attributes.tags.sorted(by: { $0.key < $1.key }) {
                xml += "<Tag><Key>\(xmlEscape(name))</Key><Value>\(xmlEscape(value))</Value></Tag>"
            }
            return xmlResponse(xml + "</TagSet></Tagging>")
        case "PUT":
            let document = try await xmlBody(body, limit: 64 << 10, what: "Tagging body")
            let tags = (document.first("TagSet")?.all("Tag") ?? []).compactMap { tag in
                tag["Key"].map { ($0, tag["Value"] ?? "") }
            }
            guard tags.count <= 10 else {
                throw Refusal(status: 400, code: "BadRequest", message: "Object tags cannot be greater than 10")
            }
            attributes.tags = Dictionary(tags, uniquingKeysWith: { $1 })
        case "DELETE":
            attributes.tags = [:]
        default:
            throw Refusal(status: 405, code: "MethodNotAllowed", message: "\(request.method) ?tagging")
        }
        object.attributes = attributes
        try updateRecord(bucket, object)
        return Response(status: request.method == "DELETE" ? .noContent : .ok)
    }

    private func updateRecord(_ bucket: String, _ object: StoredObject) throws(Refusal) {
        do {
            try storage.updateRecord(bucket: bucket, object: object)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
    }

    /// An owner with full control, and everyone reading for a public-read ACL.
    func aclDocument(_ acl: String?) -> String {
        let owner = "<Owner><ID>phonepack-emulator</ID><DisplayName>phonepack-emulator</DisplayName></Owner>"
        if flavor == .oss {
            return "<AccessControlPolicy>\(owner)<AccessControlList><Grant>\(xmlEscape(acl ?? "default"))</Grant>"
                + "</AccessControlList></AccessControlPolicy>"
        }
        var grants =
            "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"
            + "<ID>phonepack-emulator</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
        if let acl, acl.hasPrefix("public-read") {
            grants +=
                "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\">"
                + "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>"
        }
        return "<AccessControlPolicy>\(owner)<AccessControlList>\(grants)</AccessControlList></AccessControlPolicy>"
    }

    /// OSS GetBucketInfo, with every field oss2 requires.
    private func bucketInfo(_ bucket: String) -> String {
        let region = signature.region ?? "cn-hangzhou"
        return
            "<BucketInfo><Bucket><Name>\(xmlEscape(bucket))</Name><CreationDate>\(xmlTime(storage.created(bucket)))</CreationDate>"
            + "<ExtranetEndpoint>oss-\(region).aliyuncs.com</ExtranetEndpoint>"
            + "<IntranetEndpoint>oss-\(region)-internal.aliyuncs.com</IntranetEndpoint>"
            + "<Location>oss-\(region)</Location><StorageClass>Standard</StorageClass>"
            + "<Owner><DisplayName>phonepack-emulator</DisplayName><ID>phonepack-emulator</ID></Owner>"
            + "<AccessControlList><Grant>private</Grant></AccessControlList></Bucket></BucketInfo>"
    }

    // MARK: Buckets

    /// ListBuckets (`GET /`): every bucket of this store.
    func listBuckets() -> Response {
        var xml = "<ListAllMyBucketsResult><Owner><ID>phonepack-emulator</ID>"
        xml += "<DisplayName>phonepack-emulator</DisplayName></Owner><Buckets>"
        let region = signature.region ?? (flavor == .oss ? "cn-hangzhou" : "cn-north-4")
        for bucket in storage.buckets() {
            xml +=
                "<Bucket><Name>\(xmlEscape(bucket))</Name><CreationDate>\(xmlTime(storage.created(bucket)))</CreationDate>"
            if flavor == .oss {
                xml +=
                    "<Location>oss-\(region)</Location><ExtranetEndpoint>oss-\(region).aliyuncs.com</ExtranetEndpoint>"
                xml += "<IntranetEndpoint>oss-\(region)-internal.aliyuncs.com</IntranetEndpoint>"
                xml += "<StorageClass>Standard</StorageClass>"
            }
            xml += "</Bucket>"
        }
        return xmlResponse(xml + "</Buckets></ListAllMyBucketsResult>")
    }

    /// DeleteBucket: only an empty bucket with no unfinished uploads.
    func deleteBucket(_ bucket: String) throws(Refusal) -> Response {
        try requireBucket(bucket)
        guard storage.objects(bucket: bucket).isEmpty, storage.uploads(bucket: bucket).isEmpty else {
            throw Refusal(
                status: 409, code: "BucketNotEmpty", message: "The bucket you tried to delete is not empty")
        }
        do {
            try storage.deleteBucket(bucket)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        return Response(status: .noContent)
    }
}
