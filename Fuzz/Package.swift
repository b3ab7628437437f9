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
        .executableTarget(name: "FuzzCSV", dependencies: [.product(name: "WyscApplication", package: "wysc")]),
        .executableTarget(name: "FuzzJSON", dependencies: [.product(name: "WyscApplication", package: "wysc")]),
        .executableTarget(name: "FuzzWorkflow", dependencies: [.product(name: "WyscWorkflow", package: "wysc")]),
        .executableTarget(
            name: "FuzzScorecardFile",
            dependencies: [.product(name: "WyscJudging", package: "wysc"), .product(name: "WyscWorkflow", package: "wysc")]),
    ]
)
