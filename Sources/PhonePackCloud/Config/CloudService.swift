import PhonePackCore

/// The seven services phonepack talks to, with where each one's endpoint can be configured.
public enum CloudService: String, Sendable, CaseIterable {
    case obs, oss, s3, iam, cph, koophone
    case edsAic = "eds-aic"

    /// `PHONEPACK_OBS_ENDPOINT`, …, `PHONEPACK_EDS_AIC_ENDPOINT`.
    public var environmentVariable: String { "PHONEPACK_\(configName.uppercased())_ENDPOINT" }

    /// The profile key: `obs_endpoint`, …, `eds_aic_endpoint`.
    public var configKey: String { "\(configName)_endpoint" }

    /// The name errors use: OBS, OSS, S3, IAM, CPH, KooPhone, eds-aic.
    public var displayName: String {
        switch self {
        case .obs, .oss, .s3, .iam, .cph: rawValue.uppercased()
        case .koophone: "KooPhone"
        case .edsAic: rawValue
        }
    }

    private var configName: String { rawValue.replacing("-", with: "_") }

    /// The vendor's public endpoint for `region`, or nil when the service needs a region and none is known.
    func publicURL(region: String?) -> String? {
        switch self {
        case .koophone: return "https://koophone.myhuaweicloud.com"
        case .iam: return "https://iam.\(region ?? "cn-north-4").myhuaweicloud.com"
        default: break
        }
        guard let region else { return nil }
        return switch self {
        case .obs: "https://obs.\(region).myhuaweicloud.com"
        case .oss: "https://oss-\(region).aliyuncs.com"
        case .s3: "https://s3.\(region).amazonaws.com"
        case .cph: "https://cph.\(region).myhuaweicloud.com"
        case .edsAic: "https://eds-aic.\(region).aliyuncs.com"
        case .iam, .koophone: nil
        }
    }

    public static let objectStores: Set<CloudService> = [.obs, .oss, .s3]

    /// The store service of an object URL's scheme.
    public init(_ scheme: ObjectURL.Scheme) {
        self =
            switch scheme {
            case .obs: .obs
            case .oss: .oss
            case .s3: .s3
            }
    }
}
