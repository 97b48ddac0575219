import ArgumentParser
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
            let servers = try cloud.session(endpointFor: [.cph]).cphClient().listServers()
            if outputOptions.json { return print(JSONOutput.string(servers)) }
            for server in servers { say("\(server.serverID.padded(to: 34)) \(server.serverName ?? "")") }
        case "huawei":
            let phones = try cloud.session(endpointFor: [.cph]).cphClient().listPhones(serverID: server)
            if outputOptions.json { return print(JSONOutput.string(phones)) }
            for phone in phones {
                say(
                    "\(phone.phoneID.padded(to: 34)) \((phone.serverID ?? "").padded(to: 34)) \(phone.phoneName ?? "")"
                )
            }
        case "alibaba":
            let instances = try cloud.session(endpointFor: [.edsAic]).alibabaClient().describeInstances()
            if outputOptions.json { return print(JSONOutput.string(instances)) }
            for instance in instances {
                say(
                    "\(instance.instanceID.padded(to: 28)) \((instance.status ?? "").padded(to: 10)) \(instance.name ?? "")"
                )
            }
        default:
            throw ValidationError("give huawei-servers, huawei or alibaba")
        }
    }
}
