// swift-tools-version:6.2
// libFuzzer harnesses for wysc's parsers of untrusted input. Built and run by Scripts/fuzz, which
// passes -sanitize=fuzzer,address and -parse-as-library to every Swift target: the parsers under
// test are instrumented for coverage, and each harness's entry point is LLVMFuzzerTestOneInput.
import PackageDescription

let package = Package(
    name: "wysc-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wysc", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", .product(name: "WyscApplication", package: "wysc")]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzDriver", .product(name: "WyscApplication", package: "wysc")]),
        .executableTarget(name: "FuzzWorkflow", dependencies: ["FuzzDriver", .product(name: "WyscWorkflow", package: "wysc")]),
        .executableTarget(
            name: "FuzzScorecardFile",
            dependencies: ["FuzzDriver", .product(name: "WyscJudging", package: "wysc"), .product(name: "WyscWorkflow", package: "wysc")]),
    ]
)
