import PhonePackCloud
import PhonePackCore

/// Conditional requests, as the stores answer them: reads (GET, HEAD, a copy's source) and writes (PUT, copy,
/// complete).
extension ObjectStoreService {
    /// GET and HEAD preconditions in RFC 9110's order: `If-Match`, `If-Unmodified-Since` (only without
    /// `If-Match`), `If-None-Match`, `If-Modified-Since` (only without `If-None-Match`). A failed first pair is
    /// 412; a matched `If-None-Match` or an unmodified `If-Modified-Since` means "not modified" (true: answer
    /// 304). A copy's source conditions (`x-amz-copy-source-if-match` …, `prefix` set) fail with 412 either way.
    func notModified(_ object: StoredObject, _ request: IncomingRequest, prefix: String = "") throws(Refusal) -> Bool {
        let copy = !prefix.isEmpty
        func header(_ name: String) -> String? { request.header(copy ? prefix + name : name) }
        let failed = Refusal(
            status: 412, code: "PreconditionFailed",
            message: "At least one of the pre-conditions you specified did not hold")
        if let ifMatch = header("if-match") {
            guard Self.etag(object.etag, in: ifMatch) else { throw failed }
        } else if let since = header("if-unmodified-since").flatMap(CloudTime.parseRFC1123), object.lastModified > since
        {
            throw failed
        }
        if let ifNoneMatch = header("if-none-match") {
            if Self.etag(object.etag, in: ifNoneMatch) {
                if copy { throw failed }
                return true
            }
        } else if let since = header("if-modified-since").flatMap(CloudTime.parseRFC1123), object.lastModified <= since
        {
            if copy { throw failed }
            return true
        }
        return false
    }

    /// Whether `etag` is in a comma-separated list of (quoted, possibly weak) ETags, or the list is `*`.
    /// esdk-obs-python percent-encodes header values (`%22…%22`); OBS decodes them, and so does this.
    static func etag(_ etag: String, in list: String) -> Bool {
        Wire.decode(list[...]).split(separator: ",").contains { item in
            var tag = Wire.trim(String(item))
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            tag = tag.replacing("\"", with: "")
            return tag == "*" || tag.lowercased() == etag.lowercased()
        }
    }

    /// Write preconditions of PUT, copy, initiate and complete: `If-None-Match: *` (S3: 412 when the key exists),
    /// `If-Match: ETAG` (S3: 412 unless the object has that ETag, 404 when there is none), and OSS's
    /// `x-oss-forbid-overwrite: true` (409 `FileAlreadyExists`).
    func checkOverwrite(_ bucket: String, _ key: String, _ request: IncomingRequest) throws(Refusal) {
        let existing = storage.object(bucket: bucket, key: key)
        if request.header("x-oss-forbid-overwrite")?.lowercased() == "true", existing != nil {
            throw Refusal(
                status: 409, code: "FileAlreadyExists",
                message: "The object you specified already exists and can not be overwritten.")
        }
        if let ifNoneMatch = request.header("If-None-Match"), let existing, Self.etag(existing.etag, in: ifNoneMatch) {
            throw Refusal(
                status: 412, code: "PreconditionFailed",
                message: "At least one of the pre-conditions you specified did not hold")
        }
        if let ifMatch = request.header("If-Match") {
            guard let existing else {
                throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
            }
            guard Self.etag(existing.etag, in: ifMatch) else {
                throw Refusal(
                    status: 412, code: "PreconditionFailed",
                    message: "At least one of the pre-conditions you specified did not hold")
            }
        }
    }
}
