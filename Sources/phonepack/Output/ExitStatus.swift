import ArgumentParser
import Glibc
import PhonePackCore

enum ExitStatus {
    static let checkFailed: Int32 = 1
    static let usage: Int32 = 2
    static let network: Int32 = 3
    static let interrupted: Int32 = 130

    static func code(for error: PhonePackError) -> Int32 {
        switch error.code {
        case .checkFailed: checkFailed
        case .interrupted: interrupted
        case .network, .service, .timedOut: network
        default: usage
        }
    }
}
