// swift-tools-version:6.0
// The XML reader choice (issue 13): libexpat (what PhonePackCloud uses) against FoundationXML's XMLParser and
// the string search it replaced, on one 1,000-key ListObjectsV2 page. `swift run -c release` from this folder.
import PackageDescription

let package = Package(
    name: "bench-xml",
    dependencies: [.package(name: "phonepack", path: "../..")],
    targets: [
        .executableTarget(
            name: "bench-xml",
            dependencies: [.product(name: "PhonePackCloud", package: "phonepack")]
        )
    ]
)
