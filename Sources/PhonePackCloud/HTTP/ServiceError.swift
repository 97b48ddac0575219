import FoundationEssentials
import PhonePackCore

/// What a cloud service said when it refused a request, from any of the vendors' error formats:
/// OBS/OSS/S3 XML (`<Error><Code>…`), Huawei JSON (`error_code`, `error_msg`, `request_id`; IAM's
/// `{"error":{"code","message"}}`), Alibaba JSON (`Code`, `Message`, `RequestId`, `Recommend`).
public struct ServiceError: Sendable, Equatable {
    public var status: Int
    public var code: String?
    public var message: String?
    public var requestID: String?
    /// What the server signed, when it says (OBS and OSS do on SignatureDoesNotMatch).
    public var serverStringToSign: String?
    var serverTime: String?

    public init(response: ServiceResponse) {
        status = response.status
        if response.body.first == UInt8(ascii: "<"),
            let error = try? XMLReader.parse(response.body, source: "error answer"), error.name == "Error"
        {
            code = error["Code"]
            message = error["Message"]
            requestID = error["RequestId"]
            serverStringToSign = error["StringToSign"]
            serverTime = error["ServerTime"]
        } else if let json = try? JSONDecoder().decode(JSONError.self, from: Data(response.body)) {
            code = json.error_code ?? json.Code ?? json.error?.code ?? json.code
            message = json.error_msg ?? json.Message ?? json.error?.message ?? json.message
            if let recommend = json.Recommend { message = (message ?? "") + " (\(recommend))" }
            requestID = json.request_id ?? json.RequestId
        }
        if requestID == nil { requestID = response.requestID }
        if code == nil { code = response.header("x-obs-error-code") ?? response.header("x-oss-ec") }
    }

    private struct JSONError: Decodable {
        struct Nested: Decodable {
            var code: String?
            var message: String?
        }
        var error_code: String?
        var error_msg: String?
        var request_id: String?
        var Code: String?
        var Message: String?
        var RequestId: String?
        var Recommend: String?
        var error: Nested?
        var code: String?
        var message: String?
    }

    /// Request-time codes: the client clock is off by more than the service allows.
    public var isClockSkew: Bool {
        guard let code else { return false }
        return ["RequestTimeTooSkewed", "InvalidTimeStamp.Expired", "InvalidTimeStamp", "SignatureExpired"].contains(
            code)
            || (code == "APIGW.0301" && (message ?? "").lowercased().contains("time"))
    }

    /// Worth another try after a pause: server trouble and throttling.
    public var isRetryable: Bool {
        if status == 429 || status >= 500 { return true }
        guard let code else { return false }
        return code == "SlowDown" || code.hasPrefix("Throttling") || code == "APIGW.0308"
            || code == "ServiceUnavailable"
            || code == "InternalError" || code == "CPS.0003"
    }

    /// What to do about it, for the error line.
    public var hint: String? {
        switch code {
        case "SignatureDoesNotMatch", "APIGW.0301":
            "the secret key is wrong, or a proxy changed the request; run with --debug-signing to compare what was signed"
        case "InvalidAccessKeyId", "AccessDenied", "APIGW.0101", "InvalidAccessKeyId.NotFound",
            "Forbidden.AccessKeyDisabled":
            "check the access key (environment or ~/.config/phonepack/config.toml) and its permissions"
        case "NoSuchBucket": "the bucket does not exist in this region; check the name and --region/--endpoint"
        case "NoSuchKey": "no object with that key; list the prefix with phonepack ls"
        case nil where status == 401 || status == 403:
            "the access key, the secret or the clock is wrong, or the key lacks permission (the answer gave no reason; --debug-signing shows what was signed)"
        default: nil
        }
    }
}
