import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List CPH phone images (every page).")

    @Option(help: "public, private, share or all.")
    var type = "all"

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        guard ["public", "private", "share", "all"].contains(type) else {
            throw ValidationError("--type is public, private, share or all")
        }
        let images = try cloud.session(endpointFor: [.cph]).cphClient().images(type: type)
        if outputOptions.json { return print(JSONOutput.string(images)) }
        for image in images {
            say(
                "\(image.imageID.padded(to: 34)) \((image.imageLabel ?? "").padded(to: 18)) \(image.imageName ?? "")"
            )
        }
    }
}
