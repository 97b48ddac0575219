import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct PhonesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phones",
        abstract: "List servers, phones or instances (every page): huawei servers, huawei phones, alibaba.")

    @Argument(help: "huawei-servers, huawei or alibaba.")
    var what: String

    @Option(help: "Only the phones of this CPH server.")
    var server: String?

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        switch what {
        case "huawei-servers":
            let servers = try cloud.cphClient(endpointOverride: cloud.endpoint).listServers()
            if outputOptions.json { return print(JSONOutput.string(servers)) }
            for server in servers { say("\(server.server_id.padded(to: 34)) \(server.server_name ?? "")") }
        case "huawei":
            let phones = try cloud.cphClient(endpointOverride: cloud.endpoint).listPhones(serverID: server)
            if outputOptions.json { return print(JSONOutput.string(phones)) }
            for phone in phones {
                say(
                    "\(phone.phone_id.padded(to: 34)) \((phone.server_id ?? "").padded(to: 34)) \(phone.phone_name ?? "")"
                )
            }
        case "alibaba":
            let instances = try cloud.alibabaClient(endpointOverride: cloud.endpoint).describeInstances()
            if outputOptions.json { return print(JSONOutput.string(instances)) }
            for instance in instances {
                say(
                    "\(instance.AndroidInstanceId.padded(to: 28)) \((instance.AndroidInstanceStatus ?? "").padded(to: 10)) \(instance.AndroidInstanceName ?? "")"
                )
            }
        default:
            throw ValidationError("give huawei-servers, huawei or alibaba")
        }
    }
}
