// swift-tools-version: 6.1
import PackageDescription

// PathRecord answers per second through SubnetAdministrator.handle, on one core. Run with ../sa-pathrecords.sh.
let package = Package(
    name: "SABench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "SwiftSM", path: "../..")],
    targets: [
        .executableTarget(name: "SABench", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
    ],
    swiftLanguageModes: [.v6]
)
