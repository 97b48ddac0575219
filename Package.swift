// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "phonepack",
    products: [
        .library(name: "PhonePackCore", targets: ["PhonePackCore"]),
        .library(name: "PhonePackCloud", targets: ["PhonePackCloud"]),
        .executable(name: "phonepack", targets: ["phonepack"]),
        .executable(name: "phonepack-emulator", targets: ["phonepack-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // Already in the emulator's build through Hummingbird; named for the Expect: 100-continue handler.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libcurl's headers (libcurl4-openssl-dev); the library itself is loaded on first use (dlopen).
        .target(name: "CLibCurl"),
        // Every XML answer of the object stores, and every XML body the emulator takes.
        .systemLibrary(name: "CLibExpat", pkgConfig: "expat", providers: [.apt(["libexpat1-dev"])]),
        .systemLibrary(name: "CLinuxExtras"),
        // Eight MD5 streams at once with AVX2 / AVX-512VL (chosen at run time): Content-MD5 is most of an upload's CPU.
        .target(name: "CMultiMD5"),
        // The commit of an installed build (scripts/install.sh writes its commit.h).
        .target(name: "CBuildInfo"),
        .target(
            name: "PhonePackCore",
            dependencies: ["CLibArchive", "CLibCrypto", "CLinuxExtras", "CMultiMD5"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PhonePackCloud",
            dependencies: ["PhonePackCore", "CLibCurl", "CLibExpat"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "phonepack",
            dependencies: [
                "PhonePackCore",
                "PhonePackCloud",
                "CBuildInfo",
                "CLinuxExtras",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // The emulator is the only target that pulls in a server stack; the CLI above stays free of it.
        .target(
            name: "PhonePackEmulator",
            dependencies: [
                "PhonePackCore",
                "PhonePackCloud",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "phonepack-emulator",
            dependencies: [
                "PhonePackEmulator",
                "PhonePackCloud",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // One process runner, one local-server helper and the named exit codes, for every test target.
        .target(
            name: "PhonePackTestSupport",
            path: "Tests/PhonePackTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PhonePackCoreTests",
            dependencies: ["PhonePackCore", "PhonePackTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PhonePackCloudTests",
            dependencies: ["PhonePackCloud", "PhonePackCore", "PhonePackTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PhonePackCLITests",
            // The CLI itself too (@testable), so the help's examples are parsed as the binary would parse them.
            dependencies: ["phonepack", "PhonePackCore", "PhonePackCloud", "PhonePackTestSupport"],
            // Read from the checkout by path (the binary under test reads them too), not bundled.
            exclude: ["Snapshots", "Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
