// swift-tools-version: 6.1
import PackageDescription

// PathRecord answers per second through SubnetAdministrator.handle, on one core (../sa-pathrecords.sh); a join
// burst of simulated IPoIB hosts after client reregistration against the running SM (../sa-join-burst.sh); and
// SALoad, a client of an SA on ibsim (../sa-ibsim.sh).
let package = Package(
    name: "SABench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "SwiftSM", path: "../..")],
    targets: [
        .executableTarget(name: "SABench", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        .executableTarget(name: "SAJoinBurst", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
        // A client of an SA on ibsim (N requests outstanding, answers, BUSY, the SM's CPU): run by ../sa-ibsim.sh.
        .executableTarget(name: "SALoad", dependencies: [.product(name: "SwiftSMKit", package: "SwiftSM")]),
    ],
    swiftLanguageModes: [.v6]
)
