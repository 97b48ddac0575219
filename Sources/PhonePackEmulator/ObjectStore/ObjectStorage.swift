import Glibc
import PhonePackCloud
import PhonePackCore
import Synchronization

/// What the emulator keeps about one stored object.
public struct StoredObject: Codable, Sendable {
    public var key: String
    public var size: Int64
    /// Without quotes; lowercase hex on OBS, uppercase on OSS (as the services answer), `-N` for multipart.
    public var etag: String
    public var crc64: UInt64
    public var contentType: String
    public var metadata: [String: String]
    public var lastModified: Int64
    /// Content headers, storage class, ACL, encryption, tags, verified checksums (absent in older records).
    var attributes: ObjectAttributes?
}

/// A multipart upload in progress.
struct UploadRecord: Codable, Sendable {
    var key: String
    var contentType: String
    var metadata: [String: String]
    var initiated: Int64
    var attributes: ObjectAttributes?
}

/// One stored part.
struct PartRecord: Codable, Sendable {
    var number: Int
    var size: Int64
    var md5: String
    var crc64: UInt64
    var lastModified: Int64
    /// A copied part (UploadPartCopy): its bytes are this range of its file, a hard link to the source object's
    /// data (objects are replaced by rename, so the link keeps the bytes the copy was made of). `nil`: the whole file.
    var dataOffset: Int64? = nil
}

/// Buckets, objects and multipart uploads of one emulated store, kept on disk under `root`:
/// `BUCKET/.objects/<sha256 of key>` (+ `.json` record), `BUCKET/.uploads/ID/`, `BUCKET/.tmp/`.
/// Keys are hashed into file names, so no key (`../x`, `a/../../b`) can name a path outside the bucket.
public struct ObjectStorage: Sendable {
    public let root: String
    public let flavor: StoreFlavor
    /// Each bucket's records, sorted, kept between listing pages and updated in place by every write: reading
    /// every record for every page made a listing of n keys cost n²/1000 file reads.
    private let index = ListingIndex()

    public init(root: String, flavor: StoreFlavor) {
        self.root = root
        self.flavor = flavor
    }

    func bucketPath(_ bucket: String) -> String { joinPath(root, bucket) }

    func bucketExists(_ bucket: String) -> Bool {
        (try? FileStatus.ifExists(bucketPath(bucket)))??.isDirectory == true
    }

    /// Every bucket, sorted.
    func buckets() -> [String] {
        listDirectory(root).filter { bucketExists($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// When the bucket was created (its folder's modification time).
    func created(_ bucket: String) -> Int64 {
        ((try? FileStatus.ifExists(bucketPath(bucket))) ?? nil)?.mtime ?? 0
    }

    /// Removes an empty bucket (the caller checked that it holds no object and no upload).
    func deleteBucket(_ bucket: String) throws(PhonePackError) {
        for folder in ["/.objects", "/.uploads", "/.tmp", ""] {
            let path = bucketPath(bucket) + folder
            for name in listDirectory(path) where folder == "/.tmp" { unlink(joinPath(path, name)) }
            if rmdir(path) != 0 && errno != ENOENT {
                throw .system("rmdir", errno: errno, path: path, operation: "delete bucket")
            }
        }
        index.drop(bucket)
    }

    func createBucket(_ bucket: String) throws(PhonePackError) {
        for folder in ["", "/.objects", "/.uploads", "/.tmp"] {
            if mkdir(bucketPath(bucket) + folder, 0o755) != 0 && errno != EEXIST {
                throw .system("mkdir", errno: errno, path: bucketPath(bucket) + folder, operation: "create bucket")
            }
        }
    }

    func objectPath(_ bucket: String, _ key: String) -> String {
        joinPath(bucketPath(bucket), ".objects/" + Digest.hash(.sha256, Array(key.utf8)).hexString)
    }

    /// The file holding an object's bytes, for readers inside the emulator (share-apps, SendFile).
    func dataPath(bucket: String, key: String) -> String? {
        object(bucket: bucket, key: key) == nil ? nil : objectPath(bucket, key)
    }

    public func object(bucket: String, key: String) -> StoredObject? {
        guard let bytes = try? OpenFile.forReading(objectPath(bucket, key) + ".json").readToEnd() else { return nil }
        return try? JSONCoding.decode(StoredObject.self, from: bytes)
    }

    /// A new temporary file in the bucket, for a body being received.
    func temporaryFile(_ bucket: String) throws(PhonePackError) -> OpenFile {
        let path = joinPath(bucketPath(bucket), ".tmp/\(UInt64.random(in: 0...UInt64.max))")
        return try OpenFile.forUpdating(path, permissions: 0o644)
    }

    /// Moves a received body into place as `key`, then its record (readers look at the record first).
    func commit(temporary: String, bucket: String, object: StoredObject) throws(PhonePackError) {
        let path = objectPath(bucket, object.key)
        guard rename(temporary, path) == 0 else {
            throw .system("rename", errno: errno, path: path, operation: "store object")
        }
        try writeRecord(object, to: path + ".json")
        index.put(bucket, object)
    }

    /// Replaces an object's record (its attributes), leaving its bytes as they are.
    func updateRecord(bucket: String, object: StoredObject) throws(PhonePackError) {
        try writeRecord(object, to: objectPath(bucket, object.key) + ".json")
        index.put(bucket, object)
    }

    /// Stores a file the emulator made itself (an export tar) as `key`.
    public func store(file: String, bucket: String, key: String, contentType: String = "application/x-tar")
        throws(PhonePackError)
    {
        try createBucket(bucket)
        let source = try OpenFile.forReading(file)
        let size = try source.status().size
        var md5 = Digest(.md5)
        var crc = CRC64()
        let temporary = try temporaryFile(bucket)
        var offset: Int64 = 0
        try source.forEachBlock(offset: 0, length: size) { (block) throws(PhonePackError) in
            md5.update(block)
            crc.update(block)
            try temporary.writeAll(block, atAbsoluteOffset: offset)
            offset += Int64(block.count)
        }
        let object = StoredObject(
            key: key, size: offset, etag: formatETag(md5.finalize().hexString), crc64: crc.value,
            contentType: contentType, metadata: [:], lastModified: CloudTime.now())
        try commit(temporary: temporary.path, bucket: bucket, object: object)
    }

    /// Copies `source` (in `sourceBucket`) to `object.key` in `bucket`: the bytes through a temporary file, then the
    /// record, as a put would.
    func copy(from sourceBucket: String, _ source: String, to bucket: String, object: StoredObject)
        throws(PhonePackError)
    {
        guard let data = dataPath(bucket: sourceBucket, key: source) else {
            throw PhonePackError(.notFound, operation: "copy", path: source, message: "no such object")
        }
        let input = try OpenFile.forReading(data)
        let temporary = try temporaryFile(bucket)
        var offset: Int64 = 0
        try input.forEachBlock(offset: 0, length: object.size) { (block) throws(PhonePackError) in
            try temporary.writeAll(block, atAbsoluteOffset: offset)
            offset += Int64(block.count)
        }
        try commit(temporary: temporary.path, bucket: bucket, object: object)
    }

    public func delete(bucket: String, key: String) {
        let path = objectPath(bucket, key)
        unlink(path + ".json")
        unlink(path)
        index.remove(bucket, key)
    }

    /// Every object of a bucket, sorted by key as stores sort them: by UTF-8 bytes ("é" and "e\u{301}" are two
    /// keys, and `String`'s order would put them wrong).
    public func objects(bucket: String) -> [StoredObject] {
        index.objects(bucket) {
            let folder = joinPath(bucketPath(bucket), ".objects")
            return listDirectory(folder).filter { $0.hasSuffix(".json") }.compactMap { name in
                (try? OpenFile.forReading(joinPath(folder, name)).readToEnd()).flatMap {
                    try? JSONCoding.decode(StoredObject.self, from: $0)
                }
            }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
    }

    /// An ETag in the store's case.
    func formatETag(_ hex: String) -> String { flavor == .oss ? hex.uppercased() : hex.lowercased() }

    // MARK: Multipart

    func uploadPath(_ bucket: String, _ id: String) -> String { joinPath(bucketPath(bucket), ".uploads/" + id) }

    func createUpload(bucket: String, record: UploadRecord) throws(PhonePackError) -> String {
        let id = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        guard mkdir(uploadPath(bucket, id), 0o755) == 0 else {
            throw .system("mkdir", errno: errno, path: uploadPath(bucket, id), operation: "create upload")
        }
        try writeRecord(record, to: joinPath(uploadPath(bucket, id), "upload.json"))
        return id
    }

    func upload(bucket: String, id: String) -> UploadRecord? {
        guard id.allSatisfy({ $0.isHexDigit }), !id.isEmpty,
            let bytes = try? OpenFile.forReading(joinPath(uploadPath(bucket, id), "upload.json")).readToEnd()
        else { return nil }
        return try? JSONCoding.decode(UploadRecord.self, from: bytes)
    }

    func uploads(bucket: String) -> [(id: String, record: UploadRecord)] {
        listDirectory(joinPath(bucketPath(bucket), ".uploads")).compactMap { id in
            upload(bucket: bucket, id: id).map { (id, $0) }
        }.sorted { ($0.record.key, $0.id) < ($1.record.key, $1.id) }
    }

    /// A new name for `source` (a hard link) in the bucket's temporary folder, or `nil` where linking fails.
    func linkForPart(_ source: String, bucket: String) -> String? {
        let path = joinPath(bucketPath(bucket), ".tmp/\(UInt64.random(in: 0...UInt64.max))")
        return link(source, path) == 0 ? path : nil
    }

    func commitPart(temporary: String, bucket: String, id: String, part: PartRecord) throws(PhonePackError) {
        let path = joinPath(uploadPath(bucket, id), String(part.number))
        guard rename(temporary, path) == 0 else {
            throw .system("rename", errno: errno, path: path, operation: "store part")
        }
        try writeRecord(part, to: path + ".json")
    }

    func parts(bucket: String, id: String) -> [PartRecord] {
        let folder = uploadPath(bucket, id)
        return listDirectory(folder).filter { $0.hasSuffix(".json") && $0 != "upload.json" }.compactMap { name in
            (try? OpenFile.forReading(joinPath(folder, name)).readToEnd()).flatMap {
                try? JSONCoding.decode(PartRecord.self, from: $0)
            }
        }.sorted { $0.number < $1.number }
    }

    func partDataPath(bucket: String, id: String, number: Int) -> String {
        joinPath(uploadPath(bucket, id), String(number))
    }

    func removeUpload(bucket: String, id: String) {
        let folder = uploadPath(bucket, id)
        for name in listDirectory(folder) { unlink(joinPath(folder, name)) }
        rmdir(folder)
    }

    private func writeRecord(_ value: some Encodable, to path: String) throws(PhonePackError) {
        let temporary = path + ".tmp\(UInt32.random(in: 0...UInt32.max))"
        let file = try OpenFile.forUpdating(temporary)
        try file.writeAll(JSONCoding.encode(value))
        guard rename(temporary, path) == 0 else {
            throw .system("rename", errno: errno, path: path, operation: "write record")
        }
    }
}

/// Names in a folder, without `.` and `..`; empty when it cannot be read.
func listDirectory(_ path: String) -> [String] {
    (try? sortedDirectoryEntries(path)) ?? []
}

/// Sorted object records per bucket, loaded once and then kept current by each write (a generation count keeps a
/// load that raced a write from storing what it read before it).
final class ListingIndex: Sendable {
    private let state = Mutex<(generation: Int, buckets: [String: [StoredObject]])>((0, [:]))

    func objects(_ bucket: String, _ load: () -> [StoredObject]) -> [StoredObject] {
        let (generation, cached) = state.withLock { ($0.generation, $0.buckets[bucket]) }
        if let cached { return cached }
        let loaded = load()
        state.withLock { if $0.generation == generation { $0.buckets[bucket] = loaded } }
        return loaded
    }

    func put(_ bucket: String, _ object: StoredObject) {
        state.withLock {
            $0.generation += 1
            guard let (index, exists) = $0.buckets[bucket].map({ Self.find(object.key, in: $0) }) else { return }
            if exists { $0.buckets[bucket]![index] = object } else { $0.buckets[bucket]!.insert(object, at: index) }
        }
    }

    func drop(_ bucket: String) {
        state.withLock {
            $0.generation += 1
            $0.buckets[bucket] = nil
        }
    }

    func remove(_ bucket: String, _ key: String) {
        state.withLock {
            $0.generation += 1
            guard let (index, exists) = $0.buckets[bucket].map({ Self.find(key, in: $0) }), exists else { return }
            $0.buckets[bucket]!.remove(at: index)
        }
    }

    /// Where `key` is or would go, and whether it is there (found before the caller mutates the list, so the
    /// mutation happens in place rather than on a copy).
    private static func find(_ key: String, in list: [StoredObject]) -> (Int, Bool) {
        let index = position(key, in: list)
        return (index, index < list.count && list[index].key.utf8.elementsEqual(key.utf8))
    }

    /// The first index whose key is not before `key` in byte order.
    static func position(_ key: String, in list: [StoredObject]) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].key.utf8.lexicographicallyPrecedes(key.utf8) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
