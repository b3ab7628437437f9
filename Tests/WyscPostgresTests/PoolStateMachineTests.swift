import Testing

@testable import WyscPostgres

/// The pool's decisions, driven with whole-number instants: no database, no threads, no sleeps.
@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, Int>

    func leased(_ action: Machine.AcquireAction) -> String? {
        switch action {
        case .lease(.connection(let connection)): connection
        case .lease(.openNew): "new"
        case .wait: nil
        case .failClosed: "closed"
        }
    }

    @Test func slotsThenWaitersFirstComeFirstServed() {
        var machine = Machine(maxConnections: 2)
        #expect(leased(machine.acquire(1, deadline: nil)) == "new")
        #expect(leased(machine.acquire(2, deadline: nil)) == "new")
        #expect(leased(machine.acquire(3, deadline: 10)) == nil)
        #expect(leased(machine.acquire(4, deadline: 10)) == nil)
        guard case .resume(3, .connection("a")) = machine.release("a") else {
            Issue.record("waiter 3 first")
            return
        }
        // A broken connection frees its slot: the next waiter opens a new one.
        guard case .resume(4, .openNew) = machine.release(nil) else {
            Issue.record("then waiter 4, with a slot")
            return
        }
        guard case .none = machine.release("b") else {
            Issue.record("no one waits: kept idle")
            return
        }
        #expect(machine.idle == ["b"] && machine.open == 2)
        let reused = machine.acquire(5, deadline: nil)
        #expect(leased(reused) == "b")
    }

    @Test func aWaiterTimesOutAtItsDeadlineAndNotBefore() {
        var machine = Machine(maxConnections: 1)
        _ = machine.acquire(1, deadline: nil)
        _ = machine.acquire(2, deadline: 300)
        _ = machine.acquire(3, deadline: 500)
        let early = machine.expire(now: 299)
        let due = machine.expire(now: 300)
        #expect(early.isEmpty && due == [2])
        // Waiter 3's connection comes in time: it is served, not failed.
        guard case .resume(3, _) = machine.release("a") else {
            Issue.record("waiter 3 is served")
            return
        }
        let later = machine.expire(now: 10_000)
        #expect(later.isEmpty)
        #expect(machine.waiters.isEmpty)
    }

    @Test func cancellingAndClosing() {
        var machine = Machine(maxConnections: 1)
        _ = machine.acquire(1, deadline: nil)
        _ = machine.acquire(2, deadline: nil)
        _ = machine.acquire(3, deadline: nil)
        let first = machine.cancel(2)
        let second = machine.cancel(2)
        #expect(first && !second, "a waiter is cancelled once")
        let closed = machine.close()
        #expect(closed.waiters == [3] && closed.idle.isEmpty)
        let refused = machine.acquire(4, deadline: nil)
        #expect(leased(refused) == "closed")
        // The connection in use comes back after the close: it is closed, not kept.
        guard case .close("a") = machine.release("a") else {
            Issue.record("closed on return")
            return
        }
        #expect(machine.open == 0)
    }
}
