import Glibc
import PhonePackCore

/// Sends signed requests: signs each attempt afresh (new date, nonce), retries what may be retried, corrects a
/// skewed clock once from the server's `Date`, and turns refusals into one-line errors with the vendor code,
/// request id and a hint.
public final class CloudClient {
    package let curl: CurlEasy
    public var retry: RetryPolicy
    /// `-v`: one line per request (method, URL without its query, status, request id, time). Never headers.
    public var log: ((String) -> Void)?
    /// `--debug-signing`: on a signature mismatch, our canonical request and string-to-sign next to the server's.
    public var debugSigning = false
    /// Server time minus local time, learned from a clock-skew refusal.
    public private(set) var clockOffset: Int64 = 0
    /// Attempts made by the last `send` (for tests and the JSON summaries).
    public private(set) var lastAttempts = 0
    /// Requests sent again over the client's life (for the transfer summaries).
    public private(set) var retries = 0
    /// A monotonic time (``CloudTime/monotonicSeconds()``) after which no request is started and none runs
    /// on: a `--timeout` holds inside a poll, whatever the server does. `nil`: no deadline.
    public var deadline: Double?
    /// Where each endpoint host came from (`PHONEPACK_OBS_ENDPOINT`, `profile staging`), named when it cannot be
    /// reached.
    public var endpointSources: [String: String] = [:]
    /// Told when a server has been silent for a while (``HTTPOptions/silenceNotice``): the user sees why nothing
    /// moves.
    public var notice: ((String) -> Void)?

    /// Where the endpoint of `host` came from: the host itself, or (virtual-hosted style) a bucket below it.
    func endpointSource(_ host: String) -> String? {
        let name = host.split(separator: ":").first.map(String.init) ?? host
        for candidate in [host, name] {
            if let found = endpointSources[candidate] { return found }
            if let found = endpointSources.first(where: { candidate.hasSuffix("." + $0.key) }) { return found.value }
        }
        return nil
    }

    public init(options: HTTPOptions = HTTPOptions(), retry: RetryPolicy = RetryPolicy()) {
        curl = CurlEasy(options: options)
        self.retry = retry
    }

    /// A client with the same settings and its own connection, for another transfer thread.
    public func sibling() -> CloudClient {
        let copy = CloudClient(options: curl.options, retry: retry)
        copy.log = log
        copy.debugSigning = debugSigning
        copy.clockOffset = clockOffset
        copy.deadline = deadline
        copy.endpointSources = endpointSources
        copy.notice = notice
        return copy
    }

    /// Signs and sends `request` to `scheme://host`.
    /// - Parameters:
    ///   - idempotent: whether a retry is safe (reads, puts of the same bytes, calls with a client token).
    ///   - sign: adds the signature for the given Unix time; called once per attempt.
    public func send(
        _ request: SignableRequest, scheme: String = "https", body: HTTPBody = .none, idempotent: Bool,
        sink: BodySink? = nil, progress: ((Int64, Int64) -> Bool)? = nil,
        sign: (inout SignableRequest, Int64) -> SigningDetails
    ) throws(PhonePackError) -> ServiceResponse {
        var attempt = 0
        var skewCorrected = false
        let idempotent = idempotent && body.isReplayable
        // Once per call, whatever the retries: why nothing moves.
        curl.onSilence = notice.map { notice in
            { [curl, host = request.host] seconds in
                curl.onSilence = nil
                notice(
                    "\(host.terminalSafe) has sent nothing for \(Int(seconds)) s; still waiting (phonepack gives up after \(curl.options.lowSpeedTime) s of silence)"
                )
            }
        }
        defer { curl.onSilence = nil }
        while true {
            attempt += 1
            lastAttempts = attempt
            var signed = request
            let details = sign(&signed, CloudTime.now() + clockOffset)
            var url = "\(scheme)://\(signed.host)\(signed.encodedPath)"
            if !signed.query.isEmpty { url += "?" + signed.encodedQuery }
            let remaining = try timeLeft(for: signed.method, url: url)
            let started = CloudTime.monotonicMilliseconds()
            let response: ServiceResponse
            do throws(PhonePackError) {
                response = try curl.perform(
                    method: signed.method, url: url, headers: signed.headers, body: body, sink: sink,
                    progress: progress, timeout: remaining)
            } catch  where error.code == .network {
                log?("\(signed.method) \(redactedURL(url)) failed: \(error.message)")
                let curlError = error.cause as? CurlError
                let loopback = ["127.0.0.1", "localhost", "[::1]", "::1"].contains {
                    signed.host == $0 || signed.host.hasPrefix($0 + ":")
                }
                if curlError?.isTransient(loopback: loopback) == true && idempotent && attempt < retry.maxAttempts {
                    retries += 1
                    pause(retry.delay(afterAttempt: attempt, retryAfter: nil))
                    continue
                }
                var error = error
                if attempt > 1 { error.message += " (after \(attempt) attempts)" }
                // Which setting put this endpoint here, so the fix is clear.
                if let source = endpointSource(signed.host) {
                    error.message += "; this endpoint comes from \(source)"
                }
                if curlError?.isUnresolvedName == true {
                    error.message += " (the name does not resolve: check the endpoint or the network; not retried)"
                } else if curlError?.isRefused == true && loopback {
                    error.message += " (nothing listens there on this machine: start the server or fix the port)"
                }
                throw error
            }
            let elapsed = CloudTime.monotonicMilliseconds() - started
            let failure = (200..<300).contains(response.status) ? nil : ServiceError(response: response)
            let requestID = failure?.requestID ?? response.requestID
            log?(
                "\(signed.method) \(redactedURL(url)) → \(response.status) in \(elapsed) ms\(requestID.map { " (request id \($0))" } ?? "")"
            )
            guard let failure else { return response }

            // The server's clock minus ours; a 403 with no body to say why (a HEAD) is taken as skew when the
            // clocks are more than 15 minutes apart, as every store allows no more.
            let measured = response.header("Date").flatMap(CloudTime.parseRFC1123).map { $0 - CloudTime.now() }
            let skewed =
                failure.isClockSkew || (failure.code == nil && response.status == 403 && abs(measured ?? 0) > 900)
            if skewed && !skewCorrected, let measured {
                clockOffset = measured
                skewCorrected = true
                log?("clock differs from the server's by \(clockOffset) s; signing again with the server's time")
                continue
            }
            if failure.isRetryable && idempotent && attempt < retry.maxAttempts {
                retries += 1
                pause(
                    retry.delay(
                        afterAttempt: attempt,
                        retryAfter: response.header("Retry-After") ?? response.header("x-acs-retry-after")))
                continue
            }
            if debugSigning && (failure.code == "SignatureDoesNotMatch" || failure.code == "APIGW.0301") {
                log?(
                    "our canonical request:\n\(redactingTokens(details.canonicalRequest))\nour string to sign:\n\(redactingTokens(details.stringToSign))"
                )
                if let server = failure.serverStringToSign {
                    log?(
                        "the server's string to sign:\n\(TerminalText.escape(redactingTokens(server), keepingNewlines: true))"
                    )
                }
            }
            var message = "\(signed.method) answered \(response.status)"
            if let text = failure.message, !text.isEmpty { message += ": \(text)" }
            if let hint = failure.hint { message += "; \(hint)" }
            if attempt > 1 { message += " (after \(attempt) attempts)" }
            if skewed {
                // Still refused with the server's time, or no time to learn from: by how much, and the fix.
                message +=
                    "; this machine's clock differs from the server's\(measured.map { " by \($0) s" } ?? "") (fix the time: timedatectl set-ntp true)"
            }
            var error = PhonePackError(
                .service, operation: "\(signed.method) request", path: redactedURL(url), message: message)
            error.vendorCode = failure.code
            error.requestID = failure.requestID
            error.httpStatus = response.status
            throw error
        }
    }

    /// Signing text with the values of security tokens (`x-obs-/x-amz-/x-oss-security-token` headers, the
    /// same names as query parameters, Alibaba's `SecurityToken`) replaced: they are credentials, shown no more
    /// than a secret key is.
    func redactingTokens(_ text: String) -> String {
        let isToken = { (name: Substring) in
            let lower = name.lowercased()
            return lower.hasSuffix("security-token") || lower.hasSuffix("securitytoken")
                || lower.hasSuffix("security%2dtoken")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // A header line `name:value`.
            if let colon = line.firstIndex(of: ":"), isToken(line[..<colon]) {
                return line[...colon] + "(hidden)"
            }
            // A query line `a=1&b=2`.
            guard line.contains("=") else { return String(line) }
            return line.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                guard let equals = pair.firstIndex(of: "="), isToken(pair[..<equals]) else { return String(pair) }
                return pair[...equals] + "(hidden)"
            }.joined(separator: "&")
        }.joined(separator: "\n")
    }

    /// Seconds until the deadline (`nil` without one); throws once it has passed.
    private func timeLeft(for method: String, url: String) throws(PhonePackError) -> Double? {
        guard let deadline else { return nil }
        let left = deadline - CloudTime.monotonicSeconds()
        guard left > 0 else {
            throw PhonePackError(
                .timedOut, operation: "\(method) request", path: redactedURL(url).terminalSafe,
                message: "the time allowed (--timeout) ran out before the service answered")
        }
        return left
    }

    private func pause(_ seconds: Double) {
        var seconds = seconds
        if let deadline { seconds = min(seconds, deadline - CloudTime.monotonicSeconds()) }
        guard seconds > 0 else { return }
        usleep(useconds_t(seconds * 1_000_000))
    }
}

extension CloudTime {
    public static func monotonicSeconds() -> Double { Double(monotonicMilliseconds()) / 1000 }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
