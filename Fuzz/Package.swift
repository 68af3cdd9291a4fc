// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harnesses for SwiftSM's input decoders. Build and run them with `./run.sh` (see README.md):
// each target is one file with an `LLVMFuzzerTestOneInput` entry and no main; libFuzzer supplies main.
let package = Package(
    name: "SwiftSMFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "SwiftSM", path: "..")],
    targets: [
        .executableTarget(name: "FuzzTopology", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        .executableTarget(name: "FuzzCapture", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        .executableTarget(name: "FuzzMAD", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        .executableTarget(name: "FuzzCapturedFabric", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        .executableTarget(name: "FuzzSA", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
    ],
    swiftLanguageModes: [.v6]
)
