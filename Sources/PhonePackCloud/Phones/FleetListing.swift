/// What `phones huawei-servers|huawei|alibaba --json` prints: one shape for every cloud, with the vendors' status
/// codes decoded into words.
public struct FleetListing: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case server, phone, instance
    }

    /// A CPH server or phone, or an Alibaba instance.
    public struct Member: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        /// A CPH phone's server.
        public var server: String?
        /// The vendor's state in words: `running`, `frozen`, `shut-down`, … (CPH's numbers decoded; an
        /// undocumented number is `status N`), Alibaba's in lower case.
        public var state: String?
        /// The vendor's number for the state, where it uses one (CPH).
        public var statusCode: Int?

        public init(id: String, name: String?, server: String? = nil, state: String?, statusCode: Int? = nil) {
            (self.id, self.name, self.server, self.state, self.statusCode) = (id, name, server, state, statusCode)
        }
    }

    /// `huawei` or `alibaba`.
    public var cloud: String
    public var kind: Kind
    public var members: [Member]

    public init(servers: [CPHServer]) {
        (cloud, kind) = ("huawei", .server)
        members = servers.map {
            Member(
                id: $0.serverID, name: $0.serverName, state: $0.status.map(Self.serverState), statusCode: $0.status)
        }
    }

    public init(phones: [CPHPhone]) {
        (cloud, kind) = ("huawei", .phone)
        members = phones.map {
            Member(
                id: $0.phoneID, name: $0.phoneName, server: $0.serverID, state: $0.status.map(Self.phoneState),
                statusCode: $0.status)
        }
    }

    public init(instances: [AlibabaInstance]) {
        (cloud, kind) = ("alibaba", .instance)
        members = instances.map { Member(id: $0.instanceID, name: $0.name, state: $0.status?.lowercased()) }
    }

    /// ListCloudPhones' `status` (support.huaweicloud.com/api-cph/cph_api_0503.html).
    public static func phoneState(_ code: Int) -> String {
        switch code {
        case 0, 1: "creating"
        case 2: "running"
        case 3: "resetting"
        case 4: "restarting"
        case 6: "frozen"
        case 7: "shutting-down"
        case 8: "shut-down"
        case -5: "reset-failed"
        case -6: "restart-failed"
        case -7: "abnormal"
        case -8: "create-failed"
        case -9: "shutdown-failed"
        default: "status \(code)"
        }
    }

    /// ListCloudPhoneServers' `status` (support.huaweicloud.com/api-cph/cph_api_0502.html).
    public static func serverState(_ code: Int) -> String {
        switch code {
        case 0, 1, 3, 4: "creating"
        case 2: "abnormal"
        case 5: "running"
        case 8: "frozen"
        case 10: "shut-down"
        case 11: "shutting-down"
        case 12: "shutdown-failed"
        case 13: "starting"
        default: "status \(code)"
        }
    }
}

/// What `images --json` prints.
public struct ImageListing: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var label: String?
        public var osType: String?
        public var osName: String?
    }

    public var images: [Image]

    public init(_ images: [CPHImage]) {
        self.images = images.map {
            Image(id: $0.imageID, name: $0.imageName, label: $0.imageLabel, osType: $0.osType, osName: $0.osName)
        }
    }
}
