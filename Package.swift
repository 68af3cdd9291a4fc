// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SwiftSM",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftsm", targets: ["swiftsm"]),
        .library(name: "SwiftSMKit", targets: [
            "IBWire", "IBTransport", "IBCapture", "FabricModel", "FabricSimulator", "Discovery", "Routing", "PortManagement",
            "SubnetManager",
            "SystemBoundary", "Configuration",
            "SubnetAdministration",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The one boundary for system calls: files (atomic writes), sockets (sd_notify), on swift-system.
        .target(name: "SystemBoundary", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // opensm.conf-syntax configuration files, parsed into typed settings with OpenSM's meanings.
        .target(name: "Configuration", dependencies: ["IBWire", "SystemBoundary"]),
        // Metrics (swift-metrics, Prometheus text), the status model, and the local HTTP listener (swift-nio).
        .target(name: "Monitoring", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The C boundary: libibmad (field tables) and libibumad (the MAD device), through pkg-config.
        .systemLibrary(name: "CIBMad", pkgConfig: "libibmad", providers: [.apt(["libibmad-dev"])]),
        .systemLibrary(name: "CIBUmad", pkgConfig: "libibumad", providers: [.apt(["libibumad-dev"])]),

        // Typed MAD/SMP values and their codecs.
        .target(name: "IBWire", dependencies: ["CIBMad"]),
        // Sending SMPs: the MADTransport protocol, the windowed SMP client, libibumad and the recorder.
        .target(name: "IBTransport", dependencies: [
            "IBWire", "IBCapture", "CIBUmad",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // pcap/ERF capture files of MAD exchanges.
        .target(name: "IBCapture", dependencies: ["IBWire", "SystemBoundary"]),
        // The fabric model, topology files (ibnetdiscover/ibsim format), JSON/DOT output, generators.
        .target(name: "FabricModel", dependencies: ["IBWire", "SystemBoundary"]),
        // An in-process fabric that answers SMPs like real subnet management agents.
        .target(name: "FabricSimulator", dependencies: [
            "IBWire", "IBTransport", "IBCapture", "FabricModel",
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // Directed-route sweep that turns a live (or simulated) fabric into a FabricModel.
        .target(name: "Discovery", dependencies: [
            "IBWire", "IBTransport", "FabricModel",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // LID assignment, guid2lid persistence, min-hop routing and route verification (pure).
        .target(name: "Routing", dependencies: ["IBWire", "FabricModel", "SystemBoundary"]),
        // Applying a desired state (port settings, forwarding tables, activation) by reconciliation.
        .target(name: "PortManagement", dependencies: [
            "IBWire", "IBTransport", "FabricModel",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // One configuration pass: discover, plan (LIDs, routes), apply, verify.
        .target(name: "SubnetManager", dependencies: [
            "IBWire", "IBTransport", "FabricModel", "Discovery", "Routing", "PortManagement", "SubnetAdministration",
            "SystemBoundary",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Subnet Administration: the SA agent answering from published snapshots, multicast, partitions (pure).
        .target(name: "SubnetAdministration", dependencies: ["IBWire", "FabricModel", "Routing"]),
        .executableTarget(name: "swiftsm", dependencies: [
            "IBWire", "IBTransport", "IBCapture", "FabricModel", "FabricSimulator", "Discovery", "Routing", "PortManagement",
            "SubnetManager", "SubnetAdministration",
            "SystemBoundary", "Configuration", "Monitoring",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // A test tool: joins a multicast group through the SA (saquery cannot), for the ibsim tests.
        .executableTarget(name: "sa-join", dependencies: ["IBWire", "IBTransport"], path: "Tests/Tools/SAJoin"),
        .target(name: "TestSupport", dependencies: ["IBWire", "IBTransport", "FabricModel", "FabricSimulator", "Discovery", "Routing"], path: "Tests/TestSupport"),
        .testTarget(name: "IBWireTests", dependencies: ["IBWire", "CIBMad", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "IBTransportTests", dependencies: ["IBTransport", "TestSupport"]),
        .testTarget(name: "IBCaptureTests", dependencies: ["IBCapture", "TestSupport"]),
        .testTarget(name: "FabricModelTests", dependencies: ["FabricModel", "TestSupport"]),
        .testTarget(name: "FabricSimulatorTests", dependencies: ["FabricSimulator", "SubnetManager", "TestSupport"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "FabricSimulator", "TestSupport"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "FabricModel", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PortManagementTests", dependencies: ["PortManagement", "Discovery", "FabricSimulator", "TestSupport"]),
        .testTarget(name: "SubnetManagerTests", dependencies: ["SubnetManager", "FabricSimulator", "Routing", "TestSupport"]),
        .testTarget(name: "SystemBoundaryTests", dependencies: ["SystemBoundary"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration"], exclude: ["Fixtures"]),
        .testTarget(name: "SubnetAdministrationTests", dependencies: ["SubnetAdministration", "Routing", "FabricModel", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["FabricModel", "TestSupport", "Monitoring", "SystemBoundary"]),
    ],
    swiftLanguageModes: [.v6]
)
