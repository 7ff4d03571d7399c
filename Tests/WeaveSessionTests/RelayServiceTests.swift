import Foundation
import Logging
import ServiceLifecycle
import Testing
import WeaveSession

/// `RelayService` in a `ServiceGroup`, as `weave serve` runs it (issue 35),
/// with the drain replaced: the group's graceful shutdown (here triggered by
/// the test; SIGTERM and SIGINT in `weave serve`, see ServeSignalTests) makes
/// it drain; a stuck drain ends at the group's bound or at a second stop
/// request. Every wait is bounded (30 s) and waits on state.
@Suite struct RelayServiceTests {
    /// A count and a flag any thread may touch.
    final class Probe: @unchecked Sendable {
        private let lock = NSLock()
        private var _ticks = 0, _drains = 0
        var ticks: Int { lock.withLock { _ticks } }
        var drains: Int { lock.withLock { _drains } }
        func tick() { lock.withLock { _ticks += 1 } }
        func drained() { lock.withLock { _drains += 1 } }
    }

    struct Stuck: Error {}

    /// Runs `service` alone in a group (bounded by `bound` when given), waits
    /// until `ready`, triggers the graceful shutdown, then `afterwards`, and
    /// returns how the group ended: nil if it had not within 30 s.
    func run(_ service: RelayService, bound: Duration? = nil, ready: @escaping @Sendable () -> Bool,
             afterwards: @Sendable () async -> Void = {}) async -> Result<Void, Error>? {
        var configuration = ServiceGroupConfiguration(services: [.init(service: service)],
                                                      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        configuration.maximumGracefulShutdownDuration = bound
        let group = ServiceGroup(configuration: configuration)
        let ending = Ending()
        let running = Task {
            do { try await group.run(); ending.set(.success(())) } catch { ending.set(.failure(error)) }
        }
        for _ in 0 ..< 3000 where !ready() { try? await Task.sleep(for: .milliseconds(10)) }
        await group.triggerGracefulShutdown()
        await afterwards()
        // Polled, not awaited: a group that never ends fails the test instead of hanging it.
        for _ in 0 ..< 3000 where ending.result == nil { try? await Task.sleep(for: .milliseconds(10)) }
        if ending.result == nil { running.cancel() }
        return ending.result
    }

    /// How the group ended, set once from its task.
    final class Ending: @unchecked Sendable {
        private let lock = NSLock()
        private var _result: Result<Void, Error>?
        var result: Result<Void, Error>? { lock.withLock { _result } }
        func set(_ r: Result<Void, Error>) { lock.withLock { _result = r } }
    }

    @Test func theGracefulShutdownDrainsOnceAndReturnsTheClosingLine() async throws {
        let probe = Probe()
        let service = RelayService(tick: { probe.tick() }, drain: { probe.drained(); return "saved 3 characters" },
                                   bound: .seconds(10), stopRequests: { AsyncStream { _ in } })
        let ended = await run(service, ready: { probe.ticks >= 2 })
        #expect(ended != nil, "the group did not end within 30 s of its graceful shutdown")
        #expect(service.outcome == .drained("saved 3 characters"))
        #expect(probe.drains == 1)
        let ticks = probe.ticks
        try await Task.sleep(for: .milliseconds(300))
        #expect(probe.ticks == ticks, "the serving thread went on ticking after the drain")
    }

    @Test func aStuckDrainEndsAtTheGroupsBound() async throws {
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let probe = Probe()
        let service = RelayService(tick: { probe.tick() }, drain: { probe.drained(); release.wait(); return "never seen" },
                                   bound: .milliseconds(200), stopRequests: { AsyncStream { _ in } })
        let ended = await run(service, bound: .milliseconds(200), ready: { probe.ticks >= 1 })
        #expect(ended != nil, "a stuck drain held the group past its bound")
        #expect(probe.drains == 1)
        #expect(service.outcome == .forced("the drain did not finish within 0.2 s"))
    }

    @Test func aSecondStopRequestEndsAStuckDrain() async throws {
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let probe = Probe()
        let (requests, request) = AsyncStream<Void>.makeStream()
        // No bound: only the second request can end it.
        let service = RelayService(tick: { probe.tick() }, drain: { probe.drained(); release.wait(); return "never seen" },
                                   bound: .seconds(3600), stopRequests: { requests })
        let ended = await run(service, ready: { probe.ticks >= 1 }, afterwards: {
            for _ in 0 ..< 3000 where probe.drains == 0 { try? await Task.sleep(for: .milliseconds(10)) }
            request.yield()
        })
        #expect(ended != nil, "a second stop request did not end a stuck drain")
        #expect(service.outcome == .forced("a second stop signal came before the drain finished"))
    }

    @Test func aDrainThatThrowsEndsTheGroupWithItsError() async throws {
        let probe = Probe()
        let service = RelayService(tick: { probe.tick() }, drain: { throw Stuck() }, bound: .seconds(10),
                                   stopRequests: { AsyncStream { _ in } })
        let ended = await run(service, ready: { probe.ticks >= 1 })
        let error = try #require(ended.flatMap { result -> Error? in if case .failure(let e) = result { return e } else { return nil } })
        #expect(error is Stuck)
        #expect(service.outcome == nil)
    }
}
