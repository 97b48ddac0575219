import PhonePackCore

/// One target's answer inside a CPH batch response: a job id, or an error for that target alone.
public struct CPHJobEntry: Codable, Sendable, Equatable {
    public var server_id: String?
    public var phone_id: String?
    public var job_id: String?
    public var error_code: String?
    public var error_msg: String?

    public init(
        server_id: String? = nil, phone_id: String? = nil, job_id: String? = nil, error_code: String? = nil,
        error_msg: String? = nil
    ) {
        self.server_id = server_id
        self.phone_id = phone_id
        self.job_id = job_id
        self.error_code = error_code
        self.error_msg = error_msg
    }

    public var target: String { server_id ?? phone_id ?? "?" }
}

/// What every mutating CPH call answers: the jobs it created, one per server or phone.
public struct CPHBatchAnswer: Codable, Sendable {
    public var request_id: String
    public var jobs: [CPHJobEntry]

    public init(request_id: String, jobs: [CPHJobEntry]) {
        self.request_id = request_id
        self.jobs = jobs
    }
}

/// A job as ShowJob / ListJobs report it. `status`: 1 running, 2 succeeded, -1 failed.
public struct CPHJob: Codable, Sendable, Equatable {
    public var job_id: String
    public var status: Int
    public var server_id: String?
    public var phone_id: String?
    public var error_code: String?
    public var error_msg: String?
    public var execute_msg: String?
    public var begin_time: String?
    public var end_time: String?

    public init(
        job_id: String, status: Int, server_id: String? = nil, phone_id: String? = nil, error_code: String? = nil,
        error_msg: String? = nil, execute_msg: String? = nil, begin_time: String? = nil, end_time: String? = nil
    ) {
        self.job_id = job_id
        self.status = status
        self.server_id = server_id
        self.phone_id = phone_id
        self.error_code = error_code
        self.error_msg = error_msg
        self.execute_msg = execute_msg
        self.begin_time = begin_time
        self.end_time = end_time
    }
}

/// A cloud-phone server as ListCloudPhoneServers reports it (the fields phonepack uses).
public struct CPHServer: Codable, Sendable, Equatable {
    public var server_id: String
    public var server_name: String?
    public var status: Int?

    public init(server_id: String, server_name: String? = nil, status: Int? = nil) {
        self.server_id = server_id
        self.server_name = server_name
        self.status = status
    }
}

/// A cloud phone as ListCloudPhones reports it (the fields phonepack uses).
public struct CPHPhone: Codable, Sendable, Equatable {
    public var phone_id: String
    public var phone_name: String?
    public var server_id: String?
    public var status: Int?

    public init(phone_id: String, phone_name: String? = nil, server_id: String? = nil, status: Int? = nil) {
        self.phone_id = phone_id
        self.phone_name = phone_name
        self.server_id = server_id
        self.status = status
    }
}

/// A phone image as ListCloudPhoneImages reports it.
public struct CPHImage: Codable, Sendable, Equatable {
    public var image_id: String
    public var image_name: String?
    public var os_type: String?
    public var os_name: String?
    public var image_label: String?
}

/// One phone's export: what BatchExportCloudPhoneData takes per phone.
public struct CPHStorageInfo: Codable, Sendable, Equatable {
    public var phone_id: String
    public var include_files: [String]
    public var exclude_files: [String]?
    public var bucket_name: String
    public var object_path: String

    public init(
        phone_id: String, include_files: [String], exclude_files: [String]?, bucket_name: String, object_path: String
    ) {
        self.phone_id = phone_id
        self.include_files = include_files
        self.exclude_files = exclude_files
        self.bucket_name = bucket_name
        self.object_path = object_path
    }
}
