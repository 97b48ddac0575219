import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow cloud-phone jobs.", subcommands: [JobsWait.self])
}
