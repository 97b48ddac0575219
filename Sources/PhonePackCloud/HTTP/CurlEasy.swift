import CLibCurl
import Glibc
import PhonePackCore
import Synchronization

/// libcurl is loaded (CLibCurl) and `curl_global_init` run once, lazily and thread-safely, before the first
/// handle: `nil`, or why phonepack cannot make requests.
private let curlUnavailable: String? = {
    if let error = cswift_curl_error() {
        return "\(String(cString: error)); install libcurl4 (scripts/setup.sh installs what phonepack needs)"
    }
    let code = cswift_curl_global_init(Int(CURL_GLOBAL_ALL))
    return code == CURLE_OK ? nil : "curl_global_init failed: \(String(cString: cswift_curl_easy_strerror(code)))"
}()

/// Where a successful response body goes when it is not kept in memory: called with each block and its position
/// in the body. A retried request starts again at position 0, so a sink that writes by position is idempotent.
public typealias BodySink = (_ bytes: UnsafeRawBufferPointer, _ position: Int64) throws(PhonePackError) -> Void

/// One libcurl easy handle. Requests made through the same handle reuse its connections.
///
/// - Important: blocking; use one handle per thread, from threads of our own (the CLI's main thread, or the
///   dedicated transfer threads), never from the Swift concurrency pool.
package final class CurlEasy {
    /// The libcurl this process runs with, e.g. "7.88.1".
    package static var libraryVersion: String {
        cswift_curl_error() == nil ? String(cString: cswift_curl_version()) : "not found"
    }

    /// Sent on every request, so a service's logs can tell phonepack and its version apart.
    static let userAgent = "phonepack/\(PhonePackVersion.number)"

    /// `nil` when libcurl is unavailable: every request then throws, naming why.
    private let handle: UnsafeMutableRawPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    let options: HTTPOptions
    /// Set from any thread to stop the transfer in progress at the next progress callback.
    public let cancelled = Atomic<Bool>(false)
    /// Called once per request when neither side has moved a byte for `options.silenceNotice` seconds.
    var onSilence: ((Double) -> Void)?

    public init(options: HTTPOptions = HTTPOptions()) {
        handle = curlUnavailable == nil ? cswift_curl_easy_init() : nil
        self.options = options
    }

    deinit {
        if let handle { cswift_curl_easy_cleanup(handle) }
        errorBuffer.deallocate()
    }

    /// Sends one request and waits for the answer. Transport failures throw a `.network` error; any HTTP status
    /// is a response (the caller decides what a 4xx means).
    /// - Parameters:
    ///   - url: the full URL, already encoded.
    ///   - sink: where a successful (2xx) body goes; `nil` keeps it in memory.
    ///   - progress: called with bytes sent and received so far; return `false` to cancel.
    ///   - timeout: the most seconds the whole request may take (a deadline); `nil`: API calls get
    ///     `requestTimeout`, transfers only the stall limit.
    func perform(
        method: String, url: String, headers: [(name: String, value: String)], body: HTTPBody,
        sink: BodySink? = nil, progress: ((Int64, Int64) -> Bool)? = nil, timeout: Double? = nil
    ) throws(PhonePackError) -> ServiceResponse {
        guard let handle else {
            throw PhonePackError(
                .unsupported, operation: "\(method) request", path: redactedURL(url),
                message: curlUnavailable ?? "libcurl could not make a handle")
        }
        cswift_curl_easy_reset(handle)
        let transfer = try Transfer(
            body: body, sink: sink, progress: progress, memoryLimit: options.maxMemoryBody,
            isCancelled: { [unowned self] in cancelled.load(ordering: .relaxed) })
        transfer.silence = onSilence.map { (options.silenceNotice, $0) }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { cswift_curl_slist_free_all(list) }
        for header in headers { list = cswift_curl_slist_append(list, "\(header.name): \(header.value)") }
        // Small bodies go without `Expect: 100-continue` (one round trip less); large ones wait for the go-ahead.
        if body.length > 0 && !headers.contains(where: { $0.name.lowercased() == "expect" }) && body.length < 1 << 20 {
            list = cswift_curl_slist_append(list, "Expect:")
        }
        errorBuffer[0] = 0
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = cswift_curl_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cswift_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, Self.userAgent)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime)
        let isAPICall = sink == nil && body.length <= 1 << 20
        if let limit = [timeout, isAPICall ? Double(options.requestTimeout) : nil].compactMap({ $0 }).min() {
            _ = cswift_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(limit * 1000)))
        }
        // The path goes exactly as given and signed: curl must not collapse `..` or `.` segments of a key.
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_PATH_AS_IS, 1)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let proxy = options.proxy { _ = cswift_curl_easy_setopt_string(handle, CURLOPT_PROXY, proxy) }
        if let caBundle = options.caBundle { _ = cswift_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caBundle) }
        _ = cswift_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        _ = cswift_curl_easy_setopt_write_cb(handle, curlWriteCallback)
        _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = cswift_curl_easy_setopt_header_cb(handle, curlHeaderCallback)
        _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = cswift_curl_easy_setopt_xferinfo_cb(handle, curlProgressCallback)
        _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        _ = cswift_curl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        switch method {
        case "GET":
            _ = cswift_curl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1)
            if sink != nil { _ = cswift_curl_easy_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 << 10) }
        case "HEAD": _ = cswift_curl_easy_setopt_long(handle, CURLOPT_NOBODY, 1)
        default:
            if body.length > 0 || method == "PUT" || method == "POST" {
                _ = cswift_curl_easy_setopt_long(handle, CURLOPT_UPLOAD, 1)
                // Large bodies in 1 MiB reads: a sixteenth of the callbacks and system calls of the default.
                if body.length >= 1 << 20 {
                    _ = cswift_curl_easy_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, 1 << 20)
                }
                _ = cswift_curl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.length))
                _ = cswift_curl_easy_setopt_read_cb(handle, curlReadCallback)
                _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_READDATA, context)
                _ = cswift_curl_easy_setopt_seek_cb(handle, curlSeekCallback)
                _ = cswift_curl_easy_setopt_pointer(handle, CURLOPT_SEEKDATA, context)
            }
            _ = cswift_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        }
        let code = withExtendedLifetime(transfer) { cswift_curl_easy_perform(handle) }
        if let error = transfer.failure { throw error }
        guard code == CURLE_OK else {
            var detail =
                errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: cswift_curl_easy_strerror(code))
            if code == CURLE_OPERATION_TIMEDOUT, transfer.idleSeconds >= Double(options.lowSpeedTime) - 1 {
                // curl's "Operation too slow", in words that say what happened and what to change.
                detail =
                    "the server sent and took almost nothing for \(options.lowSpeedTime) s, so phonepack gave up (raise the limit with PHONEPACK_STALL_TIMEOUT or: phonepack config set stall_timeout SECONDS)"
            }
            throw PhonePackError(
                code == CURLE_ABORTED_BY_CALLBACK ? .interrupted : .network, operation: "\(method) request",
                path: redactedURL(url), message: detail, cause: CurlError(code: Int(code.rawValue)))
        }
        var status = 0
        _ = cswift_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return ServiceResponse(status: status, headers: transfer.headers, body: transfer.memory)
    }
}

/// The curl result code, kept as a cause.
struct CurlError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var description: String { "CURLcode \(code)" }
    /// Connection-level failures a retry may cure. Not a name that does not resolve (a typo or no network: four
    /// tries change nothing), nor a refused connection to this machine (nothing listens there; a retry cannot
    /// start it).
    func isTransient(loopback: Bool) -> Bool {
        if loopback && code == Int(CURLE_COULDNT_CONNECT.rawValue) { return false }
        return [
            CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
            CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM,
        ]
        .map { Int($0.rawValue) }.contains(code)
    }

    var isUnresolvedName: Bool { code == Int(CURLE_COULDNT_RESOLVE_HOST.rawValue) }
    var isRefused: Bool { code == Int(CURLE_COULDNT_CONNECT.rawValue) }
}

/// State one transfer's callbacks share.
private final class Transfer {
    let body: HTTPBody
    let source: OpenFile?
    var offset: Int64 = 0
    let sink: BodySink?
    var received: Int64 = 0
    var memory: [UInt8] = []
    let memoryLimit: Int
    var headers: [(name: String, value: String)] = []
    var status = 0
    var failure: PhonePackError?
    let progress: ((Int64, Int64) -> Bool)?
    let isCancelled: () -> Bool
    /// After how many silent seconds to call what, once.
    var silence: (after: Double, call: (Double) -> Void)?
    private var moved: Int64 = -1
    private var lastMoved = CloudTime.monotonicSeconds()

    /// Seconds since a byte last moved either way.
    var idleSeconds: Double { CloudTime.monotonicSeconds() - lastMoved }

    /// Notes the bytes moved so far; calls the silence notice once when nothing has moved for long enough.
    func observe(_ total: Int64) {
        if total != moved {
            moved = total
            lastMoved = CloudTime.monotonicSeconds()
        } else if let silence, idleSeconds >= silence.after {
            self.silence = nil
            silence.call(idleSeconds)
        }
    }

    init(
        body: HTTPBody, sink: BodySink?, progress: ((Int64, Int64) -> Bool)?, memoryLimit: Int,
        isCancelled: @escaping () -> Bool
    ) throws(PhonePackError) {
        self.body = body
        if case .file(let file, let start, _) = body {
            source = file
            offset = start
        } else {
            source = nil
        }
        self.sink = sink
        self.progress = progress
        self.memoryLimit = memoryLimit
        self.isCancelled = isCancelled
    }

    var start: Int64 {
        if case .file(_, let start, _) = body { return start }
        return 0
    }
}

// MARK: libcurl callbacks (file-scope functions; the Transfer travels through the void * user data)

private func curlReadCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let capacity = size * count
    switch transfer.body {
    case .none:
        return 0
    case .bytes(let bytes):
        let remaining = bytes.count - Int(transfer.offset)
        let n = min(capacity, remaining)
        if n > 0 {
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer!).copyMemory(from: raw.baseAddress! + Int(transfer.offset), byteCount: n)
            }
        }
        transfer.offset += Int64(n)
        return n
    case .producer(let length, let fill):
        let want = Int(min(Int64(capacity), length - transfer.offset))
        guard want > 0 else { return 0 }
        let n = fill(UnsafeMutableRawBufferPointer(start: buffer, count: want))
        transfer.offset += Int64(n)
        return n
    case .file(_, let start, let length):
        let remaining = start + length - transfer.offset
        let want = Int(min(Int64(capacity), remaining))
        guard want > 0 else { return 0 }
        do throws(PhonePackError) {
            let n = try transfer.source!.read(
                fromAbsoluteOffset: transfer.offset, into: UnsafeMutableRawBufferPointer(start: buffer, count: want))
            guard n > 0 else {
                throw PhonePackError(
                    .io, operation: "read body", path: transfer.source!.path,
                    message: "ended early; did it change during the upload?")
            }
            transfer.offset += Int64(n)
            return n
        } catch {
            transfer.failure = error
            return Int(CURL_READFUNC_ABORT)
        }
    }
}

private func curlSeekCallback(_ context: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    guard origin == SEEK_SET, offset >= 0, Int64(offset) <= transfer.body.length,
        transfer.body.isReplayable || Int64(offset) == transfer.offset
    else {
        return Int32(CURL_SEEKFUNC_CANTSEEK)
    }
    transfer.offset = transfer.start + Int64(offset)
    return Int32(CURL_SEEKFUNC_OK)
}

private func curlHeaderCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    var raw = UnsafeRawBufferPointer(start: buffer, count: length)[...]
    while let last = raw.last, last == 0x0d || last == 0x0a { raw = raw.dropLast() }
    let line = String(decoding: raw, as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new status line (after 100 Continue or a redirect) starts a new header block.
        transfer.headers.removeAll()
        let parts = line.split(separator: " ")
        transfer.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        transfer.headers.append(
            (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces))
    }
    return length
}

private func curlWriteCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    if let sink = transfer.sink, (200..<300).contains(transfer.status) {
        do throws(PhonePackError) {
            try sink(bytes, transfer.received)
            transfer.received += Int64(length)
        } catch {
            transfer.failure = error
            return 0
        }
        return length
    }
    guard transfer.memory.count + length <= transfer.memoryLimit else {
        transfer.failure = PhonePackError(
            .service, operation: "read response", message: "the response is larger than \(transfer.memoryLimit) bytes")
        return 0
    }
    transfer.memory.append(contentsOf: bytes)
    return length
}

private func curlProgressCallback(
    _ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t,
    _ uploadTotal: curl_off_t, _ uploaded: curl_off_t
) -> Int32 {
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    if transfer.isCancelled() { return 1 }
    transfer.observe(Int64(uploaded) + Int64(downloaded))
    if let progress = transfer.progress, !progress(Int64(uploaded), Int64(downloaded)) { return 1 }
    return 0
}
