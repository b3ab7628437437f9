import Foundation
import Yams

/// A position in a workflow file, 1-based.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var description: String { "\(line):\(column)" }
}

/// One thing wrong with a workflow file, and where.
public struct WorkflowProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation?
    public var message: String

    public var description: String {
        guard let location else { return "\(file): \(message)" }
        return "\(file):\(location.line):\(location.column): \(message)"
    }
}

/// A workflow file that cannot be used, with every problem found in it (not just the first).
public struct WorkflowInvalid: Error, Sendable, CustomStringConvertible {
    public var problems: [WorkflowProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads and validates workflow files. Pure: it is given the text, not a path to open.
public enum WorkflowLoader {
    /// Parses `text` (named `file` in messages) and validates all of it.
    public static func load(_ text: String, file: String) throws(WorkflowInvalid) -> WorkflowDefinition {
        var reader = Reader(file: file)
        let root: Node
        do {
            guard let node = try SafeYAML.compose(text) else {
                throw WorkflowInvalid(problems: [WorkflowProblem(file: file, location: nil, message: "the file is empty")])
            }
            root = node
        } catch let error as WorkflowInvalid {
            throw error
        } catch let refusal as SafeYAML.Refusal {
            let location = refusal.line.map { SourceLocation(line: $0, column: refusal.column ?? 1) }
            throw WorkflowInvalid(problems: [WorkflowProblem(file: file, location: location, message: refusal.message)])
        } catch {
            throw WorkflowInvalid(problems: [WorkflowProblem(file: file, location: nil, message: "\(error)")])
        }
        let definition = reader.definition(root)
        guard reader.problems.isEmpty, let definition else { throw WorkflowInvalid(problems: reader.problems) }
        return definition
    }
}

/// Walks the YAML tree, building the definition and collecting problems as it goes.
private struct Reader {
    let file: String
    var problems: [WorkflowProblem] = []

    init(file: String) { self.file = file }

    mutating func problem(_ node: Node?, _ message: String) {
        problems.append(WorkflowProblem(file: file, location: node?.location, message: message))
    }

    // MARK: Structure

    /// The entries of a mapping, refusing keys not in `allowed` and duplicate keys.
    mutating func mapping(_ node: Node, _ what: String, allowed: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            problem(node, "\(what) must be a mapping")
            return nil
        }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(key, "\(what) has a key that is not text")
                continue
            }
            if !allowed.contains(name) {
                problem(key, "unknown field '\(name)' in \(what) (expected one of: \(allowed.joined(separator: ", ")))")
            } else if entries[name] != nil {
                problem(key, "'\(name)' appears twice in \(what)")
            }
            entries[name] = value
        }
        return entries
    }

    mutating func sequence(_ node: Node?, _ what: String) -> [Node] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            problem(node, "\(what) must be a list")
            return []
        }
        return Array(sequence)
    }

    mutating func text(_ entries: [String: Node], _ key: String, in what: String, parent: Node, required: Bool = true) -> String? {
        guard let node = entries[key] else {
            if required { problem(parent, "\(what) is missing '\(key)'") }
            return nil
        }
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            problem(node, "'\(key)' in \(what) must be text")
            return nil
        }
        // Titles are shown on one line; other texts (guidance, topics) are bounded like a reason.
        let bound: TextField = key == "title" ? .title : .reason
        if let refusal = bound.problem(scalar.string, field: "'\(key)' in \(what)") {
            problem(node, refusal)
            return nil
        }
        return scalar.string
    }

    mutating func identifier(_ entries: [String: Node], _ key: String, in what: String, parent: Node) -> String? {
        guard let value = text(entries, key, in: what, parent: parent) else { return nil }
        if !WorkflowIdentifier.isValid(value) {
            problem(
                entries[key],
                "'\(value)' is not a valid id: use lowercase letters a-z, digits, '_' and '-', starting with a letter, at most \(WorkflowIdentifier.maxLength)"
            )
        }
        return value
    }

    mutating func integer(
        _ entries: [String: Node], _ key: String, in what: String, parent: Node, range: ClosedRange<Int>, required: Bool = true
    ) -> Int? {
        guard let node = entries[key] else {
            if required { problem(parent, "\(what) is missing '\(key)'") }
            return nil
        }
        guard let value = node.string.flatMap({ Int($0) }) else {
            problem(node, "'\(key)' in \(what) must be a whole number, not '\(node.string ?? "a \(node.kindName)")'")
            return nil
        }
        guard range.contains(value) else {
            problem(node, "'\(key)' in \(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func number(_ entries: [String: Node], _ key: String, in what: String, parent: Node) -> Double? {
        guard let node = entries[key] else {
            problem(parent, "\(what) is missing '\(key)'")
            return nil
        }
        guard let text = node.string, let value = Double(text.hasSuffix("%") ? String(text.dropLast()) : text), value.isFinite else {
            problem(node, "'\(key)' in \(what) must be a number")
            return nil
        }
        return text.hasSuffix("%") ? value / 100 : value
    }

    mutating func flag(_ entries: [String: Node], _ key: String, in what: String, default value: Bool) -> Bool {
        guard let node = entries[key] else { return value }
        guard let flag = node.bool else {
            problem(node, "'\(key)' in \(what) must be true or false")
            return value
        }
        return flag
    }

    // MARK: The definition

    mutating func definition(_ root: Node) -> WorkflowDefinition? {
        guard
            let top = mapping(
                root, "the workflow",
                allowed: [
                    "workflow", "title", "phases", "transitions", "team", "rubric", "rounds", "lectures", "workshops", "eligibility",
                    "proposal_files", "notifications", "results",
                ])
        else {
            return nil
        }
        let id = identifier(top, "workflow", in: "the workflow", parent: root) ?? ""
        let title = text(top, "title", in: "the workflow", parent: root, required: false) ?? id
        let rounds = sequence(top["rounds"], "rounds").compactMap { round($0) }
        checkUnique(rounds.map { ($0.value.id, $0.node) }, "round")
        let phases = sequence(top["phases"], "phases").compactMap { phase($0) }
        if top["phases"] != nil, phases.isEmpty { problem(top["phases"], "the workflow declares no phases") }
        if top["phases"] == nil { problem(root, "the workflow is missing 'phases'") }
        checkUnique(phases.map { ($0.value.id, $0.node) }, "phase")
        let roundIDs = Set(rounds.map(\.value.id))
        let transitions = sequence(top["transitions"], "transitions").compactMap {
            transition($0, phases: Set(phases.map(\.value.id)), rounds: roundIDs)
        }
        checkGraph(phases: phases, transitions: transitions, root: root)
        for round in rounds {
            guard let phase = phases.first(where: { $0.value.id == round.value.phase }) else {
                problem(
                    round.node,
                    "round '\(round.value.id)' is scored in phase '\(round.value.phase)', which the workflow does not declare (set 'phase')")
                continue
            }
            if !phase.value.allows.contains(.submitScore) {
                problem(round.node, "round '\(round.value.id)' is scored in phase '\(phase.value.id)', which does not allow submit_score")
            }
        }
        checkDeadlines(phases)
        for phase in phases where phase.value.atDeadline == .advance {
            let outgoing = transitions.filter { $0.value.from == phase.value.id }
            if outgoing.count != 1 {
                problem(
                    phase.node,
                    "phase '\(phase.value.id)' advances at its deadline, so it needs exactly one transition out of it, not \(outgoing.count)")
            }
        }
        let team = top["team"].flatMap { self.teamRules($0) } ?? TeamRules(minMembers: 1, maxMembers: 10, maxAge: nil, ageReferenceDate: nil)
        let rubric = top["rubric"].flatMap { self.rubric($0) }
        if top["rubric"] == nil { problem(root, "the workflow is missing 'rubric'") }
        let lectures = sequence(top["lectures"], "lectures").compactMap { lecture($0) }
        checkUnique(lectures.map { ($0.value.id, $0.node) }, "lecture")
        checkSchedule(lectures.map { ($0.value.id, $0.value.date, $0.node) }, "lecture")
        for (previous, next) in zip(lectures, lectures.dropFirst()) where next.value.week < previous.value.week {
            problem(
                next.node,
                "lecture '\(next.value.id)' is in week \(next.value.week), before the earlier lecture '\(previous.value.id)' (week \(previous.value.week))"
            )
        }
        let workshops = sequence(top["workshops"], "workshops").compactMap { workshop($0) }
        checkUnique(workshops.map { ($0.value.id, $0.node) }, "workshop")
        let eligibility = top["eligibility"].flatMap { self.eligibility($0, lectures: lectures.count, workshops: workshops.count) }
        let usesEligibility = transitions.first { $0.value.actions.contains { $0.kind == .computeEligibility } }
        if let usesEligibility, top["eligibility"] == nil {
            problem(
                usesEligibility.node,
                "the action compute_eligibility needs an 'eligibility' section (min_lectures, attendance_minutes, quiz_max, quiz_pass_average, min_workshops)"
            )
        }
        let proposalFiles = top["proposal_files"].map { self.proposalFileRules($0) } ?? .standard
        let notifications = top["notifications"].map { self.notificationSettings($0) } ?? .standard
        var publicResults = false
        if let results = top["results"], let entries = mapping(results, "results", allowed: ["public"]) {
            publicResults = flag(entries, "public", in: "results", default: false)
        }
        guard let rubric else { return nil }
        return WorkflowDefinition(
            id: id, title: title, phases: phases.map(\.value), transitions: transitions.map(\.value), team: team, rubric: rubric,
            rounds: rounds.map(\.value), lectures: lectures.map(\.value), workshops: workshops.map(\.value), eligibility: eligibility,
            proposalFiles: proposalFiles, notifications: notifications, publicResults: publicResults
        )
    }

    mutating func checkUnique(_ ids: [(String, Node)], _ what: String) {
        var seen: [String: Node] = [:]
        for (id, node) in ids {
            if let first = seen[id] {
                problem(node, "duplicate \(what) id '\(id)' (first declared at line \(first.location?.line ?? 0))")
            } else {
                seen[id] = node
            }
        }
    }

    mutating func phase(_ node: Node) -> (value: Phase, node: Node)? {
        guard let entries = mapping(node, "a phase", allowed: ["id", "title", "allows", "deadline", "grace_minutes", "at_deadline"]),
            let id = identifier(entries, "id", in: "a phase", parent: node)
        else { return nil }
        var allows: [Operation] = []
        for item in sequence(entries["allows"], "'allows' of phase '\(id)'") {
            guard let name = item.string, let operation = Operation(rawValue: name) else {
                problem(
                    item,
                    "phase '\(id)' allows an unknown operation '\(item.string ?? "?")' (known: \(Operation.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                continue
            }
            allows.append(operation)
        }
        var deadline: Date?
        if let node = entries["deadline"] {
            deadline = node.string.flatMap(Self.parseTimestamp)
            if deadline == nil { problem(node, "the deadline of phase '\(id)' must be a date and time such as 2026-05-31T23:59:00Z") }
        }
        let title = text(entries, "title", in: "phase '\(id)'", parent: node, required: false) ?? id
        let grace = integer(entries, "grace_minutes", in: "phase '\(id)'", parent: node, range: 0...10_080, required: false) ?? 0
        if entries["grace_minutes"] != nil && entries["deadline"] == nil {
            problem(entries["grace_minutes"], "phase '\(id)' has grace_minutes but no deadline")
        }
        var atDeadline: DeadlineAction?
        if let node = entries["at_deadline"] {
            atDeadline = node.string.flatMap(DeadlineAction.init(rawValue:))
            if atDeadline == nil {
                problem(node, "at_deadline of phase '\(id)' must be advance or notify, not '\(node.string ?? "a \(node.kindName)")'")
            } else if entries["deadline"] == nil {
                problem(node, "phase '\(id)' has at_deadline but no deadline")
            }
        }
        return (Phase(id: id, title: title, allows: allows, deadline: deadline, graceMinutes: grace, atDeadline: atDeadline), node)
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    mutating func transition(_ node: Node, phases: Set<String>, rounds: Set<String>) -> (value: Transition, node: Node)? {
        guard let entries = mapping(node, "a transition", allowed: ["from", "to", "guards", "actions"]) else { return nil }
        let from = text(entries, "from", in: "a transition", parent: node)
        let to = text(entries, "to", in: "a transition", parent: node)
        for (key, id) in [("from", from), ("to", to)] {
            if let id, !phases.contains(id) { problem(entries[key], "transition \(key) unknown phase '\(id)'") }
        }
        let label = "transition \(from ?? "?") → \(to ?? "?")"
        let guards = catalogUses(entries["guards"], GuardKind.self, noun: "guard", in: label, rounds: rounds)
            .map { GuardUse(kind: $0.kind, parameters: $0.parameters) }
        let actions = catalogUses(entries["actions"], ActionKind.self, noun: "action", in: label, rounds: rounds)
            .map { ActionUse(kind: $0.kind, parameters: $0.parameters) }
        guard let from, let to else { return nil }
        return (Transition(from: from, to: to, guards: guards, actions: actions), node)
    }

    /// The guards or actions of a transition, each checked against the catalog and its parameters typed.
    mutating func catalogUses<Kind: CatalogEntry>(
        _ node: Node?, _ kind: Kind.Type, noun: String, in label: String, rounds: Set<String>
    ) -> [(kind: Kind, parameters: [String: ParameterValue])] {
        var uses: [(kind: Kind, parameters: [String: ParameterValue])] = []
        for item in sequence(node, "\(noun)s of \(label)") {
            guard let (name, parameters) = catalogUse(item, in: label) else { continue }
            guard let entry = Kind(rawValue: name) else {
                problem(item, "unknown \(noun) '\(name)' in \(label) (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            uses.append((entry, typedParameters(parameters, entry.parameters, of: "\(noun) '\(name)'", at: item, rounds: rounds)))
        }
        return uses
    }

    /// A guard or action is written `name` or `name: {param: value}`.
    mutating func catalogUse(_ item: Node, in label: String) -> (String, Node?)? {
        if let name = item.scalar?.string { return (name, nil) }
        if case .mapping(let mapping) = item, mapping.count == 1, let (key, value) = mapping.first, let name = key.string {
            return (name, value)
        }
        problem(item, "each guard and action of \(label) is a name, or a name with its parameters (name: {parameter: value})")
        return nil
    }

    mutating func typedParameters(
        _ node: Node?, _ specs: [ParameterSpec], of what: String, at item: Node, rounds: Set<String>
    ) -> [String: ParameterValue] {
        var values: [String: ParameterValue] = [:]
        let entries = node.flatMap { mapping($0, "the parameters of \(what)", allowed: specs.map(\.name)) } ?? [:]
        for spec in specs {
            guard entries[spec.name] != nil else {
                problem(node ?? item, "\(what) needs the parameter '\(spec.name)'")
                continue
            }
            switch spec.type {
            case .integer(let range):
                if let value = integer(entries, spec.name, in: what, parent: item, range: range) { values[spec.name] = .integer(value) }
            case .round:
                guard let round = text(entries, spec.name, in: what, parent: item) else { continue }
                if rounds.contains(round) {
                    values[spec.name] = .round(round)
                } else {
                    problem(entries[spec.name], "\(what) names unknown round '\(round)' (declared: \(rounds.sorted().joined(separator: ", ")))")
                }
            }
        }
        return values
    }

    mutating func checkGraph(phases: [(value: Phase, node: Node)], transitions: [(value: Transition, node: Node)], root: Node) {
        guard let start = phases.first else { return }
        var reachable: Set<String> = [start.value.id]
        var frontier = [start.value.id]
        while let current = frontier.popLast() {
            for transition in transitions where transition.value.from == current && !reachable.contains(transition.value.to) {
                reachable.insert(transition.value.to)
                frontier.append(transition.value.to)
            }
        }
        for phase in phases where !reachable.contains(phase.value.id) {
            problem(phase.node, "phase '\(phase.value.id)' is unreachable from the first phase '\(start.value.id)'")
        }
        let terminal = phases.filter { phase in !transitions.contains { $0.value.from == phase.value.id } }
        if terminal.isEmpty {
            problem(
                root,
                "no terminal phase: every phase has a way out, so a competition could never end (add a phase with no outgoing transition, e.g. 'closed')"
            )
        }
    }

    mutating func checkDeadlines(_ phases: [(value: Phase, node: Node)]) {
        var previous: (id: String, deadline: Date)?
        for phase in phases {
            guard let deadline = phase.value.deadline else { continue }
            if let previous, deadline < previous.deadline {
                problem(phase.node, "the deadline of phase '\(phase.value.id)' comes before the deadline of the earlier phase '\(previous.id)'")
            }
            previous = (phase.value.id, deadline)
        }
    }

    mutating func teamRules(_ node: Node) -> TeamRules? {
        guard let entries = mapping(node, "team", allowed: ["min_members", "max_members", "max_age", "age_reference_date"]) else { return nil }
        let minimum = integer(entries, "min_members", in: "team", parent: node, range: 1...100) ?? 1
        let maximum = integer(entries, "max_members", in: "team", parent: node, range: 1...100) ?? minimum
        if maximum < minimum { problem(entries["max_members"], "max_members (\(maximum)) is below min_members (\(minimum))") }
        let maxAge = integer(entries, "max_age", in: "team", parent: node, range: 10...120, required: false)
        let reference = text(entries, "age_reference_date", in: "team", parent: node, required: maxAge != nil)
        if let reference, Self.isCalendarDate(reference) == false {
            problem(entries["age_reference_date"], "age_reference_date must be a date such as 2026-09-01")
        }
        return TeamRules(minMembers: minimum, maxMembers: maximum, maxAge: maxAge, ageReferenceDate: reference)
    }

    /// `proposal_files: {types: [pdf, png], max_file_size_mb: 20, max_files: 5}`; what is left out keeps its standard value.
    mutating func proposalFileRules(_ node: Node) -> ProposalFileRules {
        var rules = ProposalFileRules.standard
        guard let entries = mapping(node, "proposal_files", allowed: ["types", "max_file_size_mb", "max_files"]) else { return rules }
        if let types = entries["types"] {
            var allowed: [DocumentType] = []
            for item in sequence(types, "'types' in proposal_files") {
                guard let name = item.string, let type = DocumentType(rawValue: name) else {
                    problem(
                        item,
                        "'\(item.string ?? "a \(item.kindName)")' is not a file type wysc knows (expected one of: \(DocumentType.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                    continue
                }
                if allowed.contains(type) { problem(item, "file type '\(name)' appears twice in proposal_files") }
                allowed.append(type)
            }
            if case .sequence(let items) = types, items.isEmpty { problem(types, "'types' in proposal_files lists no file type") }
            rules.allowedTypes = allowed
        }
        let largest = ProposalFileRules.largestFileBytes / 1_000_000
        if let megabytes = integer(entries, "max_file_size_mb", in: "proposal_files", parent: node, range: 1...largest, required: false) {
            rules.maxFileBytes = megabytes * 1_000_000
        }
        if let count = integer(entries, "max_files", in: "proposal_files", parent: node, range: 1...20, required: false) { rules.maxFiles = count }
        return rules
    }

    /// `notifications: {sender, reply_to, server, organizers, reminders, events, templates}`.
    mutating func notificationSettings(_ node: Node) -> NotificationSettings {
        var settings = NotificationSettings.standard
        let what = "notifications"
        guard let entries = mapping(node, what, allowed: ["sender", "reply_to", "server", "organizers", "reminders", "events", "templates"])
        else { return settings }
        func address(_ node: Node) -> MailAddress? {
            guard let text = node.string, TextField.name.problem(text, field: "an address") == nil, let address = MailAddress(parsing: text) else {
                problem(
                    node, "'\(node.string ?? "a \(node.kindName)")' in \(what) is not a mail address such as 'WYSC Secretariat <wysc@example.org>'")
                return nil
            }
            return address
        }
        if let node = entries["sender"], let sender = address(node) { settings.sender = sender }
        settings.replyTo = entries["reply_to"].flatMap(address)
        if let server = text(entries, "server", in: what, parent: node, required: false) {
            if !(server.hasPrefix("https://") || server.hasPrefix("http://")) || TextField.link.problem(server, field: "server") != nil {
                problem(entries["server"], "'server' in \(what) must be the http(s) URL judges sign in to, such as https://wysc.example.org")
            }
            settings.server = server
        }
        settings.organizers = sequence(entries["organizers"], "'organizers' in \(what)").compactMap(address)
        if let reminders = entries["reminders"] {
            var hours: [Int] = []
            for item in sequence(reminders, "'reminders' in \(what)") {
                guard let value = item.int, (1...2_160).contains(value) else {
                    problem(
                        item, "a reminder is a whole number of hours before the deadline, 1 to 2160, not '\(item.string ?? "a \(item.kindName)")'")
                    continue
                }
                if hours.contains(value) { problem(item, "the reminder \(value) hours before the deadline appears twice") }
                hours.append(value)
            }
            settings.reminderHours = hours
        }
        if let events = entries["events"], let switches = mapping(events, "'events' in \(what)", allowed: NotificationEvent.allCases.map(\.rawValue))
        {
            for (name, _) in switches {
                guard let event = NotificationEvent(rawValue: name) else { continue }
                if !flag(switches, name, in: "'events' in \(what)", default: true) { settings.disabled.insert(event) }
            }
        }
        if let templates = entries["templates"],
            let overrides = mapping(templates, "'templates' in \(what)", allowed: NotificationEvent.allCases.map(\.rawValue))
        {
            for (name, templateNode) in overrides {
                guard let event = NotificationEvent(rawValue: name),
                    let parts = mapping(templateNode, "the template of \(name)", allowed: ["subject", "text", "html"])
                else { continue }
                var override = MailTemplateOverride()
                for (key, partNode) in parts {
                    guard let value = partNode.string, !value.isEmpty else {
                        problem(partNode, "'\(key)' of the \(name) template must be text")
                        continue
                    }
                    let bound: TextField = key == "subject" ? .title : .abstract
                    if let refusal = bound.problem(value, field: "'\(key)' of the \(name) template") ?? TemplateSyntax.problem(value) {
                        problem(partNode, refusal)
                        continue
                    }
                    switch key {
                    case "subject": override.subject = value
                    case "text": override.text = value
                    default: override.html = value
                    }
                }
                settings.templates[event] = override
            }
        }
        return settings
    }

    /// YYYY-MM-DD naming a real day (no 2026-02-30).
    static func isCalendarDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    mutating func rubric(_ node: Node) -> Rubric? {
        guard let entries = mapping(node, "rubric", allowed: ["scale", "criteria", "tie_break"]) else { return nil }
        var scaleMin = 0
        var scaleMax = 10
        if let scale = entries["scale"], let bounds = mapping(scale, "the rubric's scale", allowed: ["min", "max"]) {
            scaleMin = integer(bounds, "min", in: "the rubric's scale", parent: scale, range: -1000...1000) ?? scaleMin
            scaleMax = integer(bounds, "max", in: "the rubric's scale", parent: scale, range: -1000...1000) ?? scaleMax
            if scaleMin >= scaleMax { problem(scale, "the rubric's scale min (\(scaleMin)) must be below its max (\(scaleMax))") }
        } else if entries["scale"] == nil {
            problem(node, "rubric is missing 'scale'")
        }
        var criteria: [(value: Criterion, node: Node)] = []
        for item in sequence(entries["criteria"], "the rubric's criteria") {
            guard let fields = mapping(item, "a criterion", allowed: ["id", "title", "guidance", "weight"]),
                let id = identifier(fields, "id", in: "a criterion", parent: item)
            else { continue }
            let weight = number(fields, "weight", in: "criterion '\(id)'", parent: item) ?? 0
            if weight <= 0 { problem(fields["weight"] ?? item, "the weight of criterion '\(id)' must be above 0") }
            criteria.append(
                (
                    Criterion(
                        id: id, title: text(fields, "title", in: "criterion '\(id)'", parent: item, required: false) ?? id,
                        guidance: text(fields, "guidance", in: "criterion '\(id)'", parent: item, required: false), weight: weight
                    ), item
                ))
        }
        if criteria.isEmpty { problem(entries["criteria"] ?? node, "the rubric needs at least one criterion") }
        checkUnique(criteria.map { ($0.value.id, $0.node) }, "criterion")
        let total = criteria.reduce(0) { $0 + $1.value.weight }
        if !criteria.isEmpty, abs(total - 1) > 1e-9 {
            problem(entries["criteria"], "the rubric's weights add up to \(Self.format(total)), not 1 (or 100%)")
        }
        var tieBreak: [String] = []
        for item in sequence(entries["tie_break"], "the rubric's tie_break") {
            guard let id = item.string, criteria.contains(where: { $0.value.id == id }) else {
                problem(item, "tie_break names '\(item.string ?? "?")', which is not a criterion of the rubric")
                continue
            }
            tieBreak.append(id)
        }
        return Rubric(scaleMin: scaleMin, scaleMax: scaleMax, criteria: criteria.map(\.value), tieBreak: tieBreak)
    }

    mutating func calendarDate(_ entries: [String: Node], _ key: String, in what: String, parent: Node) -> String? {
        guard let value = text(entries, key, in: what, parent: parent) else { return nil }
        guard Self.isCalendarDate(value) else {
            problem(entries[key], "'\(key)' in \(what) must be a date such as 2026-03-03, not '\(value)'")
            return nil
        }
        return value
    }

    mutating func lecture(_ node: Node) -> (value: Lecture, node: Node)? {
        guard let entries = mapping(node, "a lecture", allowed: ["id", "week", "title", "topic", "date"]),
            let id = identifier(entries, "id", in: "a lecture", parent: node)
        else { return nil }
        let what = "lecture '\(id)'"
        let week = integer(entries, "week", in: what, parent: node, range: 1...104)
        let date = calendarDate(entries, "date", in: what, parent: node)
        let title = text(entries, "title", in: what, parent: node)
        let topic = text(entries, "topic", in: what, parent: node, required: false)
        guard let week, let date, let title else { return nil }
        return (Lecture(id: id, week: week, title: title, topic: topic, date: date), node)
    }

    mutating func workshop(_ node: Node) -> (value: Workshop, node: Node)? {
        guard let entries = mapping(node, "a workshop", allowed: ["id", "title", "format", "city", "date"]),
            let id = identifier(entries, "id", in: "a workshop", parent: node)
        else { return nil }
        let what = "workshop '\(id)'"
        let title = text(entries, "title", in: what, parent: node)
        let date = calendarDate(entries, "date", in: what, parent: node)
        let formatName = text(entries, "format", in: what, parent: node)
        let format = formatName.flatMap(Workshop.Format.init(rawValue:))
        if let formatName, format == nil {
            problem(entries["format"], "the format of \(what) must be online or in_person, not '\(formatName)'")
        }
        let city = text(entries, "city", in: what, parent: node, required: format == .inPerson)
        guard let title, let date, let format else { return nil }
        return (Workshop(id: id, title: title, format: format, city: city, date: date), node)
    }

    mutating func eligibility(_ node: Node, lectures: Int, workshops: Int) -> EligibilityRules? {
        let fields = ["min_lectures", "attendance_minutes", "quiz_max", "quiz_pass_average", "min_workshops"]
        guard let entries = mapping(node, "eligibility", allowed: fields) else { return nil }
        let minLectures = integer(entries, "min_lectures", in: "eligibility", parent: node, range: 0...lectures)
        let minutes = integer(entries, "attendance_minutes", in: "eligibility", parent: node, range: 1...1440)
        let quizMax = number(entries, "quiz_max", in: "eligibility", parent: node)
        let pass = number(entries, "quiz_pass_average", in: "eligibility", parent: node)
        let minWorkshops = integer(entries, "min_workshops", in: "eligibility", parent: node, range: 0...workshops)
        if let quizMax, quizMax <= 0 { problem(entries["quiz_max"], "quiz_max must be above 0") }
        if let quizMax, let pass, pass < 0 || pass > quizMax {
            problem(entries["quiz_pass_average"], "quiz_pass_average (\(Self.format(pass))) must be between 0 and quiz_max (\(Self.format(quizMax)))")
        }
        guard let minLectures, let minutes, let quizMax, let pass, let minWorkshops else { return nil }
        return EligibilityRules(
            minLectures: minLectures, attendanceMinutes: minutes, quizMax: quizMax, quizPassAverage: pass, minWorkshops: minWorkshops)
    }

    /// Dated items (lectures) must be listed in date order.
    mutating func checkSchedule(_ items: [(id: String, date: String, node: Node)], _ what: String) {
        for (previous, next) in zip(items, items.dropFirst()) where next.date < previous.date {
            problem(next.node, "\(what) '\(next.id)' on \(next.date) comes before the earlier \(what) '\(previous.id)' on \(previous.date)")
        }
    }

    static func format(_ value: Double) -> String {
        String(format: "%g", value)
    }

    mutating func round(_ node: Node) -> (value: JudgingRound, node: Node)? {
        guard
            let entries = mapping(
                node, "a round",
                allowed: [
                    "id", "title", "reviews_per_proposal", "conflicts", "blind_review", "max_load", "min_load", "phase",
                    "feedback_to_teams",
                ]),
            let id = identifier(entries, "id", in: "a round", parent: node)
        else { return nil }
        let reviews = integer(entries, "reviews_per_proposal", in: "round '\(id)'", parent: node, range: 1...50) ?? 1
        var sameUniversity = true
        var sameCity = false
        if let conflicts = entries["conflicts"],
            let rules = mapping(conflicts, "the conflict rules of round '\(id)'", allowed: ["same_university", "same_city"])
        {
            sameUniversity = flag(rules, "same_university", in: "round '\(id)'", default: true)
            sameCity = flag(rules, "same_city", in: "round '\(id)'", default: false)
        }
        let maxLoad = integer(entries, "max_load", in: "round '\(id)'", parent: node, range: 1...100_000, required: false)
        let minLoad = integer(entries, "min_load", in: "round '\(id)'", parent: node, range: 0...100_000, required: false)
        if let minLoad, let maxLoad, minLoad > maxLoad, let at = entries["min_load"] {
            problem(at, "'min_load' in round '\(id)' is \(minLoad), more than its 'max_load' of \(maxLoad)")
        }
        return (
            JudgingRound(
                id: id, title: text(entries, "title", in: "round '\(id)'", parent: node, required: false) ?? id,
                reviewsPerProposal: reviews, conflictSameUniversity: sameUniversity, conflictSameCity: sameCity,
                blindReview: flag(entries, "blind_review", in: "round '\(id)'", default: false),
                maxLoad: maxLoad, minLoad: minLoad,
                phase: text(entries, "phase", in: "round '\(id)'", parent: node, required: false) ?? id,
                feedbackToTeams: flag(entries, "feedback_to_teams", in: "round '\(id)'", default: false)
            ), node
        )
    }
}

extension Node {
    var location: SourceLocation? { mark.map { SourceLocation(line: $0.line, column: $0.column) } }

    var kindName: String {
        switch self {
        case .scalar: "value"
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        }
    }
}
