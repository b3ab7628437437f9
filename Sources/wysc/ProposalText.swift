import Foundation
import WyscApplication
import WyscHTTP
import WyscWorkflow

#if canImport(Glibc)
    import Glibc
#endif

/// A proposal as people read it at a terminal, and as data.
enum ProposalText {
    static func render(_ view: ProposalView, width: Int) -> String {
        var lines: [String] = []
        lines.append("Proposal #\(view.proposal), version \(view.version), submitted \(view.submittedAt.rfc3339)")
        if let team = view.team {
            lines.append("Team: \(team) — \(view.university ?? "")")
        } else if view.blind {
            lines.append("Blind review: the team and its university are not shown.")
        }
        lines.append("")
        lines.append(view.title)
        if !view.tags.isEmpty { lines.append("Tags: " + view.tags.joined(separator: ", ")) }
        if let link = view.link { lines.append("Link: \(link)") }
        lines.append("")
        for paragraph in view.abstract.components(separatedBy: "\n") {
            lines += wrap(paragraph, width: max(20, width - 2)).map { $0.isEmpty ? "" : "  " + $0 }
        }
        lines.append("")
        if view.files.isEmpty {
            lines.append("No files.")
        } else {
            lines.append("Files:")
            let names = view.files.map { DisplayWidth.of($0.name) }.max() ?? 0
            for file in view.files {
                let pad = String(repeating: " ", count: names - DisplayWidth.of(file.name))
                lines.append("  \(file.number)  \(file.name)\(pad)  \(byteCountText(file.size).leftPadded(to: 8))  sha256 \(file.sha256.prefix(16))…")
            }
            lines.append("Download them with: wysc proposal get \(view.proposal)")
        }
        if let by = view.submittedBy { lines.append("Submitted by \(by).") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Words to lines of at most `width` columns (a longer word gets a line of its own).
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        var used = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let size = DisplayWidth.of(String(word))
            if used > 0 && used + 1 + size > width {
                lines.append(line)
                line = ""
                used = 0
            }
            line += (used > 0 ? " " : "") + word
            used += (used > 0 ? 1 : 0) + size
        }
        lines.append(line)
        return lines
    }

    static func json(_ views: [ProposalView]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(views)
    }

    static func table(_ views: [ProposalView], abstracts: Bool) -> DataTable {
        DataTable(
            columns: ["proposal", "version", "team", "university", "title", "tags", "link", "submitted_at", "files"]
                + (abstracts ? ["abstract"] : []),
            rows: views.map { view in
                [
                    .integer(view.proposal), .integer(view.version), view.team.map(Cell.text) ?? .null, view.university.map(Cell.text) ?? .null,
                    .text(view.title), .text(view.tags.joined(separator: ";")), view.link.map(Cell.text) ?? .null, .text(view.submittedAt.rfc3339),
                    .text(view.files.map(\.name).joined(separator: ";")),
                ] + (abstracts ? [.text(view.abstract)] : [])
            })
    }
}

/// Downloads into a directory: each file to NAME.part, checked against its SHA-256, then renamed.
enum ProposalDownload {
    static func files(
        of view: ProposalView, only number: Int?, slug: String, judge: String?, into directory: String, service: any CompetitionService
    ) async throws -> [(path: String, file: ProposalFile)] {
        let chosen = view.files.filter { number == nil || $0.number == number }
        if chosen.isEmpty {
            throw WyscError(
                .notFound,
                view.files.isEmpty
                    ? "proposal #\(view.proposal) has no files" : "proposal #\(view.proposal) has no file \(number!) (it has \(view.files.count))")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var saved: [(String, ProposalFile)] = []
        for file in chosen {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(file.name).path
            if try digest(of: path) == file.sha256 {
                saved.append((path, file))
                continue
            }
            let partial = path + ".part"
            var hasher = DocumentDigest()
            var offset = 0
            // Resume: what arrived before is hashed again and kept.
            if FileManager.default.fileExists(atPath: partial) {
                offset = try hash(partial, into: &hasher)
                if offset > file.size {
                    try FileManager.default.removeItem(atPath: partial)
                    offset = 0
                    hasher = DocumentDigest()
                }
            }
            let descriptor = open(partial, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o644)
            guard descriptor >= 0 else {
                throw CommandFailure(message: "cannot write \(partial): \(String(cString: strerror(errno)))", exitCode: CommandFailure.failure)
            }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            let progress = ProgressBar()
            var received = offset
            try await service.downloadProposalFile(slug, proposal: view.proposal, file: file, from: offset, judge: judge) { bytes in
                try handle.write(contentsOf: bytes)
                hasher.update(bytes)
                received += bytes.count
                progress.update(file.name, done: received, total: file.size)
            }
            try handle.close()
            progress.finish()
            guard hasher.finalize() == file.sha256 else {
                try? FileManager.default.removeItem(atPath: partial)
                throw CommandFailure(
                    message: "\(file.name) arrived damaged (its SHA-256 is not \(file.sha256)); it was deleted: run the command again",
                    exitCode: CommandFailure.failure)
            }
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            saved.append((path, file))
        }
        return saved
    }

    /// The SHA-256 of a file already on disk, or nil when there is none.
    static func digest(of path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var hasher = DocumentDigest()
        _ = try hash(path, into: &hasher)
        return hasher.finalize()
    }

    static func hash(_ path: String, into hasher: inout DocumentDigest) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        var total = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
            total += chunk.count
        }
        return total
    }
}

extension Terminal {
    /// The terminal's width in columns: of stdout when it is a terminal, else $COLUMNS, else 80.
    static var columns: Int { width(of: STDOUT_FILENO) }
    /// The same for what is written to stderr (interactive scoring).
    static var errorColumns: Int { width(of: STDERR_FILENO) }

    private static func width(of descriptor: Int32) -> Int {
        var size = winsize()
        if isatty(descriptor) == 1, ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessEnvironment.values["COLUMNS"], let value = Int(text), value > 0 { return value }
        return 80
    }
}

/// A team's feedback as people read it, and as rows for a mail merge.
enum FeedbackText {
    static func render(_ feedback: TeamFeedback, width: Int) -> String {
        var lines = ["\(feedback.team) — \(feedback.university), round '\(feedback.round)', proposal #\(feedback.proposal)"]
        if let contact = feedback.contact { lines.append("Contact: \(contact)") }
        lines.append("")
        for review in feedback.reviews {
            lines.append("\(review.judge) (total \(String(format: "%.2f", review.total))):")
            let text = review.feedback.isEmpty ? "(no feedback written)" : review.feedback
            for paragraph in text.components(separatedBy: "\n") {
                lines += ProposalText.wrap(paragraph, width: max(20, width - 2)).map { $0.isEmpty ? "" : "  " + $0 }
            }
        }
        lines.append("")
        let titles = feedback.criteria.map { DisplayWidth.of($0.title) }.max() ?? 0
        lines.append("Criterion averages (this team / the round):")
        for criterion in feedback.criteria {
            let pad = String(repeating: " ", count: titles - DisplayWidth.of(criterion.title))
            lines.append("  \(criterion.title)\(pad)  \(String(format: "%.2f", criterion.team)) / \(String(format: "%.2f", criterion.round))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per review; each team's criterion averages repeat on its rows.
    static func table(_ feedback: [TeamFeedback]) -> DataTable {
        let criteria = feedback.first?.criteria.map(\.criterion) ?? []
        return DataTable(
            columns: ["team", "university", "contact", "round", "proposal", "judge", "total", "feedback"]
                + criteria.flatMap { ["\($0)_team", "\($0)_round"] },
            rows: feedback.flatMap { team in
                team.reviews.map { review in
                    [
                        .text(team.team), .text(team.university), team.contact.map(Cell.text) ?? .null, .text(team.round), .integer(team.proposal),
                        .text(review.judge), .text(String(format: "%.2f", review.total)), .text(review.feedback),
                    ]
                        + team.criteria.flatMap { [Cell.text(String(format: "%.2f", $0.team)), .text(String(format: "%.2f", $0.round))] }
                }
            })
    }
}

/// A judge's queue written out for reviewing offline (`wysc judge queue --export DIR`).
enum OfflineReview {
    static func export(_ items: [QueueItem], slug: String, judge: String?, into directory: String, service: any CompetitionService) async throws {
        guard !items.isEmpty else { throw WyscError(.notFound, "no proposals are assigned to this judge in the current round: nothing to export") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rubric = try await service.rubric(slug)
        let email = try await service.tokenJudge() ?? judge ?? ""
        try write(rubricText(rubric), to: directory + "/rubric.txt")
        var rows: [[Cell]] = []
        for item in items {
            let folder = "\(directory)/proposal-\(item.proposal)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let view = try await service.readProposal(slug, .number(item.proposal), allVersions: false, judge: judge)[0]
            try write(Terminal.printable(ProposalText.render(view, width: 80), keepingLineBreaks: true), to: folder + "/proposal.txt")
            if !view.files.isEmpty {
                _ = try await ProposalDownload.files(of: view, only: nil, slug: slug, judge: judge, into: folder, service: service)
            }
            try write(template(item, rubric: rubric), to: folder + "/scorecard.yaml")
            rows.append([.text(email), .integer(item.proposal)] + rubric.criteria.map { _ in Cell.null } + [.null, .null])
        }
        let sheet = DataTable(columns: ["judge", "proposal"] + rubric.criteria.map(\.id) + ["comment", "feedback"], rows: rows)
        try write(sheet.render(.csv), to: directory + "/scores.csv")
        try write(readme(items, rubric: rubric), to: directory + "/README.txt")
        Terminal.success("Exported \(items.count) proposal(s) of round '\(items[0].round)' to \(directory) (see README.txt there).")
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func oneLine(_ text: String) -> String {
        Terminal.printable(text, keepingLineBreaks: false).replacingOccurrences(of: "\\n", with: " ")
    }

    static func rubricText(_ rubric: Rubric) -> String {
        var lines = ["Rubric: each criterion from \(rubric.scaleMin) to \(rubric.scaleMax); the total is weighted.", ""]
        for criterion in rubric.criteria {
            lines.append("\(criterion.id): \(criterion.title) (weight \(String(format: "%g", criterion.weight * 100))%)")
            if let guidance = criterion.guidance {
                lines += ProposalText.wrap(Terminal.printable(guidance, keepingLineBreaks: false), width: 76).map { "  " + $0 }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A scorecard file with blanks: `wysc score N --file` reads it back once filled in.
    static func template(_ item: QueueItem, rubric: Rubric) -> String {
        var lines = [
            "# Scorecard for proposal #\(item.proposal), round '\(item.round)'. Give each criterion a value from \(rubric.scaleMin) to \(rubric.scaleMax),",
            "# then send it: wysc score \(item.proposal) --file proposal-\(item.proposal)/scorecard.yaml",
            "scores:",
        ]
        for criterion in rubric.criteria {
            let note = "\(criterion.title), weight \(String(format: "%g", criterion.weight * 100))%" + (criterion.guidance.map { ": " + $0 } ?? "")
            lines.append("  \(criterion.id):     # \(oneLine(note))")
        }
        if item.feedbackToTeams {
            lines.append("# Feedback for the team: its university reads it, unsigned, once results are published.")
            lines.append("feedback: \"\"")
        }
        lines.append("# A private comment for the organizers; the team never sees it.")
        lines.append("comment: \"\"")
        return lines.joined(separator: "\n") + "\n"
    }

    static func readme(_ items: [QueueItem], rubric: Rubric) -> String {
        let deadline = items.compactMap(\.deadline).first.map { " Scorecards are due by \($0.rfc3339)." } ?? ""
        return """
            Your proposals for round '\(items[0].round)' (\(items.count)), to review offline.\(deadline)

            rubric.txt                    the criteria, their weights and guidance
            proposal-N/proposal.txt       the proposal: title, abstract, tags, links, files
            proposal-N/<files>            its documents, checked against their SHA-256
            proposal-N/scorecard.yaml     fill in, then: wysc score N --file proposal-N/scorecard.yaml
            scores.csv                    or fill in this sheet and send it to the organizers (wysc score import)

            Proposals: \(items.map { "#\($0.proposal)" }.joined(separator: ", "))

            """
    }
}
