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
        // For the fuzz harnesses in Fuzz/ (Scripts/fuzz), which build against the real modules.
        .library(name: "WyscWorkflow", targets: ["WyscWorkflow"]),
        .library(name: "WyscJudging", targets: ["WyscJudging"]),
        .library(name: "WyscApplication", targets: ["WyscApplication"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The remote CLI's HTTP client: Foundation's URLSession would load libcurl and some 30
        // libraries into every wysc process, a third of its start-up.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
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
            dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: swiftSettings
        ),
        // Pure: judge assignment (exact min-cost flow), scorecards, normalization and ranking. No I/O.
        .target(
            name: "WyscJudging",
            dependencies: ["WyscWorkflow", .product(name: "Yams", package: "Yams")],
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
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // The demo: a generated competition (WeGO member cities, teams, attendance, judges, scores) run through the use cases.
        .target(
            name: "WyscDemo",
            dependencies: ["WyscApplication", "WyscWorkflow", "WyscJudging"],
            swiftSettings: swiftSettings
        ),
        // The HTTP admin endpoint (Hummingbird 2): JSON API, tokens, health, metrics. The only module that imports Hummingbird.
        .target(
            name: "WyscHTTP",
            dependencies: [
                "WyscApplication",
                "WyscPostgres",
                "WyscWorkflow",
                "WyscJudging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line interface: parses, calls the application, renders.
        .executableTarget(
            name: "wysc",
            dependencies: [
                "WyscApplication",
                "WyscDemo",
                "WyscHTTP",
                "WyscPostgres",
                "WyscWorkflow",
                "WyscJudging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            // --static-swift-stdlib exports every symbol of the program (43,000) to the dynamic
            // linker, which then searches them on every start: a tenth of `wysc --version`.
            // Nothing looks our symbols up by name.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux], configuration: .release))]
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
            dependencies: [
                "WyscApplication", "WyscDemo", "WyscJudging", "WyscPostgres", "WyscWorkflow", "WyscTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            // Instances of the assignment benchmark's families with OR-tools' objective, read by path.
            exclude: ["AssignmentInstances"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscHTTPTests",
            dependencies: [
                "WyscHTTP", "WyscApplication", "WyscTestSupport", "WyscPostgres", "WyscJudging",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WyscEndToEndTests",
            dependencies: ["wysc", "WyscTestSupport", "WyscPostgres", "WyscApplication", "WyscHTTP"],
            swiftSettings: swiftSettings
        ),
    ]
)
