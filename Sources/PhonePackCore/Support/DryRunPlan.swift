/// What `--dry-run --json` prints for a verb that changes something: each request it would send, and a summary;
/// nothing was sent.
public struct DryRunPlan: Codable, Sendable, Equatable {
    public var dryRun = true
    public var requests: [PlannedRequest]
    public var summary: String

    public init(requests: [PlannedRequest], summary: String) {
        self.requests = requests
        self.summary = summary
    }
}

/// One request a dry run would send: its method, URL (the service's path, or the object's `obs://…` URL) and
/// body fields, never a header that signs or authenticates; or a step of a plan that is not one request (a build,
/// a wave), with only its `text`. `text` is the line the text output prints.
public struct PlannedRequest: Codable, Sendable, Equatable {
    public var method: String?
    public var url: String?
    public var body: [String: BodyValue]?
    public var text: String

    /// A value of a request body as the API takes it.
    public enum BodyValue: Codable, Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case number(Int)
        case bool(Bool)
        case list([String])

        public init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let number = try? value.decode(Int.self) {
                self = .number(number)
            } else if let flag = try? value.decode(Bool.self) {
                self = .bool(flag)
            } else if let list = try? value.decode([String].self) {
                self = .list(list)
            } else {
                self = .string(try value.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var value = encoder.singleValueContainer()
            switch self {
            case .string(let text): try value.encode(text)
            case .number(let number): try value.encode(number)
            case .bool(let flag): try value.encode(flag)
            case .list(let list): try value.encode(list)
            }
        }

        /// As the text output shows it: a list of more than three ids shortened to its ends.
        public var description: String {
            switch self {
            case .string(let text): text.terminalSafe
            case .number(let number): String(number)
            case .bool(let flag): String(flag)
            case .list(let list):
                "[\(list.count <= 3 ? list.map(\.terminalSafe).joined(separator: ", ") : "\(list.count) ids, \(list[0].terminalSafe) … \(list[list.count - 1].terminalSafe)")]"
            }
        }
    }

    /// A request: the text is made from the fields, in the order given.
    public init(_ method: String, _ url: String, body: KeyValuePairs<String, BodyValue>? = nil) {
        self.method = method
        self.url = url
        if let body {
            self.body = Dictionary(body.map { ($0.key, $0.value) }) { first, _ in first }
            text = "\(method) \(url.terminalSafe) {\(body.map { "\($0.key): \($0.value)" }.joined(separator: ", "))}"
        } else {
            text = "\(method) \(url.terminalSafe)"
        }
    }

    /// A line of a plan: a request when it starts with an HTTP method and a URL (`PUT obs://b/k (skipped when…)`),
    /// else a step.
    public init(line: String) {
        text = line
        let words = line.split(separator: " ", maxSplits: 2)
        if words.count >= 2, ["GET", "HEAD", "PUT", "POST", "DELETE"].contains(words[0]) {
            method = String(words[0])
            url = String(words[1])
        }
    }

    /// The same request with the ids of one call added to its body as `field`.
    public func with(_ field: String, ids: [String]) -> PlannedRequest {
        var copy = self
        copy.body = (body ?? [:]).merging([field: .list(ids)]) { _, new in new }
        let list = BodyValue.list(ids).description
        copy.text = text.hasSuffix("}") ? "\(text.dropLast()), \(field): \(list)}" : "\(text) {\(field): \(list)}"
        return copy
    }
}
