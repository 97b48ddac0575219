import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ImagesCommand: ParsableCommand {
    enum ImageType: String, CaseIterable, ExpressibleByArgument {
        case `public`, `private`, share, all
    }

    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List CPH phone images (every page).",
        discussion: """
            Examples:
              phonepack images
              phonepack images --json
            """)

    @Option(help: "Which images.")
    var type = ImageType.all

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let images = try cloud.session(endpointFor: [.cph]).cphClient().images(type: type.rawValue)
        if outputOptions.json { return print(JSONOutput.string(ImageListing(images))) }
        say("\("IMAGE".padded(to: 34)) \("LABEL".padded(to: 18)) NAME")
        for image in images {
            say(
                "\(image.imageID.padded(to: 34)) \((image.imageLabel ?? "").padded(to: 18)) \(image.imageName ?? "")"
            )
        }
    }
}
