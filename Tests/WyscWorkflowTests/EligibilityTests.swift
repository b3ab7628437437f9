import Testing
import WyscWorkflow

@Suite struct EligibilityTests {
    let rules = EligibilityRules(minLectures: 4, attendanceMinutes: 45, quizMax: 10, quizPassAverage: 6, minWorkshops: 1)
    let lectures = (1...6).map { Lecture(id: "l\($0)", week: $0, title: "Lecture \($0)", topic: nil, date: "2026-03-0\($0)") }

    func member(_ name: String, minutes: [Int?], quiz: Double? = 8) -> TeamParticipation.Member {
        var records: [String: LectureRecord] = [:]
        for (index, value) in minutes.enumerated() {
            guard let value else { continue }
            records["l\(index + 1)"] = LectureRecord(present: nil, minutes: value, quizScore: quiz)
        }
        return TeamParticipation.Member(name: name, lectures: records)
    }

    @Test func aMemberAtExactlyTheThresholdsIsEligible() {
        let team = TeamParticipation(members: [member("Zoë", minutes: [45, 45, 45, 45, nil, 44], quiz: 6)], workshops: ["w1"])
        #expect(rules.evaluate(team, lectures: lectures).reasons == [])
    }

    @Test func oneIneligibleMemberMakesTheTeamIneligibleAndIsNamedWithTheLecturesMissed() {
        let team = TeamParticipation(
            members: [member("김민준", minutes: [60, 60, 60, 60, 60, 60]), member("이서연", minutes: [60, 44, nil, 60, 60, 10])],
            workshops: ["w1"])
        let verdict = rules.evaluate(team, lectures: lectures)
        #expect(!verdict.eligible)
        #expect(verdict.reasons == ["이서연 attended 3 of 6 lectures (missed l2, l3, l6); 4 needed"])
    }

    @Test func quizzesAverageOverTheQuizzesTakenAndWorkshopsCount() {
        var weak = member("José", minutes: [60, 60, 60, 60, nil, nil], quiz: 5.5)
        weak.lectures["l1"]?.quizScore = nil
        let noQuiz = TeamParticipation.Member(name: "Ana", lectures: ["l1": LectureRecord(present: true, minutes: nil, quizScore: nil)])
        let verdict = rules.evaluate(TeamParticipation(members: [weak, noQuiz], workshops: []), lectures: lectures)
        #expect(
            verdict.reasons == [
                "José's quiz average is 5.5 of 10; 6 needed",
                "Ana attended 1 of 6 lectures (missed l2, l3, l4, l5, l6); 4 needed",
                "Ana took no quiz; an average of 6 of 10 is needed",
                "the team took part in no workshop; 1 needed",
            ])
    }

    @Test func minutesDecideOverAYes() {
        #expect(!LectureRecord(present: true, minutes: 30, quizScore: nil).attended(rules))
        #expect(LectureRecord(present: false, minutes: 45, quizScore: nil).attended(rules))
        #expect(LectureRecord(present: true, minutes: nil, quizScore: nil).attended(rules))
        #expect(!LectureRecord(present: nil, minutes: nil, quizScore: nil).attended(rules))
    }
}
