import PhonePackCore

/// One target's answer inside a CPH batch response: a job id, or an error for that target alone.
public struct CPHJobEntry: Codable, Sendable, Equatable {
    public var serverID: String?
    public var phoneID: String?
    public var jobID: String?
    public var errorCode: String?
    public var errorMessage: String?

    public init(
        serverID: String? = nil, phoneID: String? = nil, jobID: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil
    ) {
        self.serverID = serverID
        self.phoneID = phoneID
        self.jobID = jobID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case phoneID = "phone_id"
        case jobID = "job_id"
        case errorCode = "error_code"
        case errorMessage = "error_msg"
    }

    public var target: String { serverID ?? phoneID ?? "?" }
}

/// What every mutating CPH call answers: the jobs it created, one per server or phone.
public struct CPHBatchAnswer: Codable, Sendable {
    public var requestID: String
    public var jobs: [CPHJobEntry]

    public init(requestID: String, jobs: [CPHJobEntry]) {
        self.requestID = requestID
        self.jobs = jobs
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case jobs
    }
}

/// A job as ShowJob / ListJobs report it. `status`: 1 running, 2 succeeded, -1 failed (``state`` decodes it).
public struct CPHJob: Codable, Sendable, Equatable {
    public var jobID: String
    public var status: Int
    public var serverID: String?
    public var phoneID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var executeMessage: String?
    public var beginTime: String?
    public var endTime: String?

    public init(
        jobID: String, status: Int, serverID: String? = nil, phoneID: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil, executeMessage: String? = nil, beginTime: String? = nil, endTime: String? = nil
    ) {
        self.jobID = jobID
        self.status = status
        self.serverID = serverID
        self.phoneID = phoneID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.executeMessage = executeMessage
        self.beginTime = beginTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case status
        case serverID = "server_id"
        case phoneID = "phone_id"
        case errorCode = "error_code"
        case errorMessage = "error_msg"
        case executeMessage = "execute_msg"
        case beginTime = "begin_time"
        case endTime = "end_time"
    }

    /// The job's state in the terms every cloud shares: 2 succeeded, -1 failed, anything else still running.
    public var state: JobState {
        switch status {
        case 2: JobState(state: .succeeded, output: executeMessage)
        case -1:
            JobState(
                state: .failed, errorCode: errorCode, errorMessage: errorMessage ?? executeMessage,
                output: executeMessage)
        default: JobState(state: .running)
        }
    }
}

/// A cloud-phone server as ListCloudPhoneServers reports it (the fields phonepack uses).
public struct CPHServer: Codable, Sendable, Equatable {
    public var serverID: String
    public var serverName: String?
    public var status: Int?

    public init(serverID: String, serverName: String? = nil, status: Int? = nil) {
        self.serverID = serverID
        self.serverName = serverName
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case serverName = "server_name"
        case status
    }
}

/// A cloud phone as ListCloudPhones reports it (the fields phonepack uses).
public struct CPHPhone: Codable, Sendable, Equatable {
    public var phoneID: String
    public var phoneName: String?
    public var serverID: String?
    public var status: Int?

    public init(phoneID: String, phoneName: String? = nil, serverID: String? = nil, status: Int? = nil) {
        self.phoneID = phoneID
        self.phoneName = phoneName
        self.serverID = serverID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case phoneID = "phone_id"
        case phoneName = "phone_name"
        case serverID = "server_id"
        case status
    }
}

/// A phone image as ListCloudPhoneImages reports it.
public struct CPHImage: Codable, Sendable, Equatable {
    public var imageID: String
    public var imageName: String?
    var osType: String?
    var osName: String?
    public var imageLabel: String?

    public init(
        imageID: String, imageName: String? = nil, osType: String? = nil, osName: String? = nil,
        imageLabel: String? = nil
    ) {
        self.imageID = imageID
        self.imageName = imageName
        self.osType = osType
        self.osName = osName
        self.imageLabel = imageLabel
    }

    enum CodingKeys: String, CodingKey {
        case imageID = "image_id"
        case imageName = "image_name"
        case osType = "os_type"
        case osName = "os_name"
        case imageLabel = "image_label"
    }
}

/// One phone's export: what BatchExportCloudPhoneData takes per phone.
public struct CPHStorageInfo: Codable, Sendable, Equatable {
    public var phoneID: String
    public var includeFiles: [String]
    var excludeFiles: [String]?
    public var bucketName: String
    public var objectPath: String

    public init(
        phoneID: String, includeFiles: [String], excludeFiles: [String]?, bucketName: String, objectPath: String
    ) {
        self.phoneID = phoneID
        self.includeFiles = includeFiles
        self.excludeFiles = excludeFiles
        self.bucketName = bucketName
        self.objectPath = objectPath
    }

    enum CodingKeys: String, CodingKey {
        case phoneID = "phone_id"
        case includeFiles = "include_files"
        case excludeFiles = "exclude_files"
        case bucketName = "bucket_name"
        case objectPath = "object_path"
    }
}
