import Foundation
import Testing

/// One vector of `../shared/vectors/*.json` (copied into Fixtures), with untyped inputs and expectations.
struct Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [String: any Sendable]
    let expected: [String: any Sendable]
    var testDescription: String { name }

    func string(_ key: String) -> String? { inputs[key] as? String }
    func expect(_ key: String) -> String? { expected[key] as? String }
    func dictionary(_ key: String) -> [String: String] {
        (inputs[key] as? [String: any Sendable] ?? [:]).mapValues { "\($0)" }
    }

    /// `[[name, value]]` pairs, values of any JSON type as text, JSON null as nil.
    func pairs(_ key: String) -> [(name: String, value: String?)] {
        (inputs[key] as? [[any Sendable]] ?? []).map { pair in
            let value = pair[1]
            return (pair[0] as! String, value is NSNull ? nil : "\(value)")
        }
    }

    static func load(_ file: String, algorithm: String) -> [Vector] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(file)", withExtension: "json"),
            let data = try? Data(contentsOf: url),
            let all = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return all.filter { $0["algorithm"] as? String == algorithm }.map { vector in
            Vector(
                name: vector["name"] as? String ?? "?",
                inputs: sendable(vector["inputs"]) as? [String: any Sendable] ?? [:],
                expected: sendable(vector["expected"]) as? [String: any Sendable] ?? [:])
        }
    }

    /// JSONSerialization's Any, rebuilt from Sendable parts so vectors can be test arguments.
    private static func sendable(_ value: Any?) -> any Sendable {
        switch value {
        case let dictionary as [String: Any]: dictionary.mapValues { sendable($0) }
        case let array as [Any]: array.map { sendable($0) }
        case let string as String: string
        case let number as NSNumber: number.stringValue
        case is NSNull: NSNull()
        default: NSNull()
        }
    }
}
