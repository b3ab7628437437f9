// swift-tools-version:6.2
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features the
/// Swift server ecosystem (Hummingbird, PostgresNIO) builds with.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "wysc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wysc", targets: ["wysc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // libpq, the PostgreSQL C client library. Only WyscPostgres imports it.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Swift over libpq: connections, parameterized queries, typed rows, errors, transactions, COPY, a pool.
        .target(
            name: "WyscPostgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Pure: the workflow file model, its validation and the phase machine. No I/O, no clock.
        .target(
            name: "WyscWorkflow",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Pure: judge assignment (exact min-cost flow), scorecards, normalization and ranking. No I/O.
        .target(
            name: "WyscJudging",
            dependencies: ["WyscWorkflow"],
            swiftSettings: swiftSettings
        ),
        // Use cases, migrations, the embedded local PostgreSQL and database selection.
        .target(
            name: "WyscApplication",
            dependencies: [
                "WyscPostgres",
                "WyscWorkflow",
                "WyscJudging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line interface: parses, calls the application, renders.
        .executableTarget(
            name: "wysc",
            dependencies: [
                "WyscApplication",
                "WyscPostgres",
                "WyscWorkflow",
                "WyscJudging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WyscTestSupport",
            dependencies: ["WyscPostgres", "WyscApplication", .product(name: "Logging", package: "swift-log")],
            path: "Tests/WyscTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscWorkflowTests",
            dependencies: ["WyscWorkflow"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscJudgingTests",
            dependencies: ["WyscJudging", "WyscWorkflow"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscPostgresTests",
            dependencies: ["WyscPostgres", "WyscTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscApplicationTests",
            dependencies: ["WyscApplication", "WyscPostgres", "WyscWorkflow", "WyscTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscEndToEndTests",
            dependencies: ["wysc", "WyscTestSupport", "WyscPostgres", "WyscApplication"],
            swiftSettings: swiftSettings
        ),
    ]
)
