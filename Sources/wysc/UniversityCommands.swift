import ArgumentParser
import Foundation
import WyscApplication

struct UniversityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "university",
        abstract: "Add, import and list the universities teams come from.",
        discussion: """
            Universities are shared by all competitions. Adding one that exists with the same city and \
            country changes nothing, so an import can be run again.

            Examples:
              wysc university add "Seoul National University" --city Seoul --country "Republic of Korea"
              wysc university add "成都大学" --city Chengdu --country China
              wysc university import universities.csv        # columns: name,city,country
              wysc university list --format csv
            """,
        subcommands: [Add.self, Import.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add one university.")
        @Argument(help: "The university's name, as teams write it.") var name: String
        @Option(help: "Its city (for the same-city conflict rule).") var city: String
        @Option(help: "Its country.") var country: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let university = try await database.withApplication { application in
                try await application.addUniversity(UniversityInput(name: name, city: city, country: country), as: DirectModeActor.current)
            }
            Terminal.success("University \(university.name) (\(university.city), \(university.country)), id \(university.id)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import universities from CSV (name,city,country); all or nothing.")
        @Argument(help: "The CSV file.") var file: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let file = file
            let summary = try await database.importing(file) { application, progress in
                try await application.importUniversities(
                    reading: { try UniversityRow.rows(of: CSVReader(path: file)) }, file: file, as: DirectModeActor.current, progress: progress)
            }
            Terminal.success("\(file): \(summary.added) universit\(summary.added == 1 ? "y" : "ies") added, \(summary.unchanged) already there.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List universities.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let universities = try await database.withApplication { try await $0.universities() }
            let table = DataTable(
                columns: ["id", "name", "city", "country", "teams"],
                rows: universities.map { [.integer($0.id), .text($0.name), .text($0.city), .text($0.country), .integer($0.teams)] })
            Terminal.output(table.render(output.format))
        }
    }
}
