import Foundation
import Logging
import WyscPostgres
import WyscWorkflow

/// What one scheduler pass did to one competition.
public struct SchedulerStep: Sendable, Hashable, Codable {
    public var competition: String
    /// advanced, blocked, deadline (recorded, organizers told), reminded, or busy (another server held it).
    public var kind: String
    public var detail: String
}

extension Application {
    /// One pass of the scheduler over every competition (or one): deadlines that passed are acted
    /// on as their phase's `at_deadline` says, and reminders falling due are written. Safe to run
    /// from several servers and from cron at once: each competition is worked on under its row
    /// lock, taken with SKIP LOCKED (a busy competition waits for the next pass), and every effect
    /// is recorded state (the deadline flag, the phase, once-only notifications), so no deadline
    /// fires twice.
    public func schedulerTick(competition slug: String? = nil, as actor: Actor = .system) async throws -> [SchedulerStep] {
        try actor.requireOrganizer("run the scheduler")
        let now = self.now()
        let slugs: [String] = try await transaction { connection in
            try connection.query("SELECT slug FROM competition WHERE (\(slug)::text IS NULL OR slug = \(slug)) ORDER BY id").rows.map {
                try $0.decode("slug")
            }
        }
        if let slug, slugs.isEmpty { _ = try await phaseStatus(competition: slug) }  // names the competitions there are
        var steps: [SchedulerStep] = []
        for slug in slugs {
            do {
                steps += try await transaction { connection in try Scheduler.tick(slug, now: now, on: connection) }
            } catch {
                logger.error("the scheduler could not work on '\(slug)': \(error)")
                steps.append(SchedulerStep(competition: slug, kind: "error", detail: "\(error)"))
            }
        }
        return steps
    }
}

enum Scheduler {
    static func tick(_ slug: String, now: Date, on connection: PostgresConnection) throws -> [SchedulerStep] {
        guard try connection.query("SELECT 1 FROM competition WHERE slug = \(slug) FOR UPDATE SKIP LOCKED").singleRow() != nil else {
            return [SchedulerStep(competition: slug, kind: "busy", detail: "another server or an organizer is working on it; next pass")]
        }
        var steps: [SchedulerStep] = []
        func step(_ kind: String, _ detail: String) { steps.append(SchedulerStep(competition: slug, kind: kind, detail: detail)) }
        // A phase advanced into may itself be past its deadline: go on while deadlines act, at most once per phase.
        var record = try Competitions.find(slug, on: connection, lock: .update)
        for _ in record.definition.phases {
            let phase = record.currentPhase
            guard let closes = phase.closesAt, let deadline = phase.deadline, now >= closes else { break }
            if !record.deadlinePassed {
                try PhaseDriver.noteDeadline(&record, now: now, on: connection)
                if phase.atDeadline == nil { step("deadline", "the deadline of '\(phase.id)' passed; late work is refused") }
            }
            let visit = "\(phase.id):\(record.version)"
            switch phase.atDeadline {
            case nil:
                break
            case .notify:
                let next = record.definition.transitions.first { $0.from == phase.id }?.to
                let told = try Outbox.toOrganizers(
                    .deadlinePassed,
                    values: ["phase": phase.id, "phase_title": phase.title, "deadline": deadline.rfc3339, "next": next],
                    onceKey: "deadline:\(visit)", competition: record, on: connection)
                if told > 0 { step("deadline", "the deadline of '\(phase.id)' passed; \(told) organizer(s) told") }
            case .advance:
                let transition = try PhaseDriver.chooseTransition(record, to: nil)
                let facts = try PhaseDriver.facts(for: transition, of: record, on: connection)
                let machine = PhaseMachine(definition: record.definition)
                if case .failure(.guardsFailed(_, _, let failures)) = machine.check(record.state, to: transition.to, facts: facts, now: now) {
                    let told = try Outbox.toOrganizers(
                        .phaseBlocked,
                        values: [
                            "phase": phase.id, "phase_title": phase.title, "to": transition.to, "deadline": deadline.rfc3339,
                            "failures": failures.map { ["text": $0.description] },
                        ], onceKey: "blocked:\(visit)", competition: record, on: connection)
                    step(
                        "blocked",
                        "'\(phase.id)' cannot advance to '\(transition.to)': " + failures.map(\.description).joined(separator: "; ")
                            + (told > 0 ? " (\(told) organizer(s) told)" : ""))
                    return steps + (try reminders(record, now: now, on: connection))
                }
                let taken = try PhaseDriver.take(
                    .advance(to: transition.to), record: record, facts: facts, now: now, actor: .system, on: connection)
                step(
                    "advanced",
                    "'\(taken.from)' → '\(taken.to)' at its deadline"
                        + (taken.performed.isEmpty ? "" : ": " + taken.performed.joined(separator: "; ")))
                record = try Competitions.find(slug, on: connection, lock: .update)
                continue
            }
            break
        }
        return steps + (try reminders(record, now: now, on: connection))
    }

    /// Reminders due in the rounds scored in the current phase: the shortest lead time reached, once per judge.
    static func reminders(_ record: CompetitionRecord, now: Date, on connection: PostgresConnection) throws -> [SchedulerStep] {
        let settings = record.definition.notifications
        guard settings.isOn(.reminder), !settings.reminderHours.isEmpty else { return [] }
        var steps: [SchedulerStep] = []
        for round in record.definition.rounds where round.phase == record.phase {
            guard let deadline = record.currentPhase.deadline,
                let lead = ReminderSchedule.due(leadHours: settings.reminderHours, deadline: deadline, now: now)
            else { continue }
            let written = try NotificationEvents.reminders(round: round, leadHours: lead, now: now, competition: record, on: connection)
            if written > 0 {
                steps.append(
                    SchedulerStep(
                        competition: record.slug, kind: "reminded",
                        detail: "\(written) judge(s) of round '\(round.id)' reminded (\(lead) hours before)"))
            }
        }
        return steps
    }
}
