import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals

/// How `weave serve` ended.
public enum RelayStop: Sendable, Equatable {
    /// The drain finished: peers told, every history and file written. The closing line.
    case drained(String)
    /// The drain did not finish, and the process should exit at once (non-zero):
    /// a second SIGTERM or SIGINT came, or the stop bound passed. Says why.
    case forced(String)
}

/// `weave serve`'s relay as a swift-service-lifecycle `Service` (issue 35).
///
/// `run()` serves on a thread of its own: every 100 ms it calls `tick` (the
/// report lines, the group commit of the histories), as the relay always has,
/// so a slow disk never holds a thread of the cooperative pool. When the
/// group shuts down gracefully (SIGTERM or SIGINT, taken by `ServiceGroup`),
/// the same thread runs `drain` (make durable what came, say goodbye to every
/// peer, write the last state) and `run()` returns when it is done.
///
/// The drain is bounded: `run()` returns `.forced` without waiting for it on
/// a second stop request (`stopRequests`, listened to once the drain began)
/// or when its task is cancelled (the group's `maximumGracefulShutdownDuration`
/// passed). The stuck thread is left behind: the caller exits the process.
/// `run()` throws what `drain` threw. Run it once.
public final class RelayService: Service, @unchecked Sendable {
    private let tick: @Sendable () -> Void
    private let drain: @Sendable () throws -> String
    private let stopRequests: @Sendable () async -> AsyncStream<Void>
    private let started: @Sendable () async -> Void
    private let bound: Duration
    /// 0 serving, 1 drain asked for (the serving thread waits on it between ticks).
    private let phase = ConditionLock(value: 0)
    private let ended = Completion<Result<String, Error>>()
    private let stop = NIOLockedValueBox<RelayStop?>(nil)

    /// - Parameters:
    ///   - tick: called every 100 ms on the serving thread while serving.
    ///   - drain: called once on the serving thread after the graceful shutdown; returns the closing line.
    ///   - bound: the stop bound (what `.forced` says when cancelled; the group enforces it).
    ///   - stopRequests: further stop requests, asked for once the drain began (SIGTERM and SIGINT by default).
    ///   - started: called when `run()` begins (the group's signal handlers are in place by then).
    public init(tick: @escaping @Sendable () -> Void, drain: @escaping @Sendable () throws -> String, bound: Duration,
                stopRequests: @escaping @Sendable () async -> AsyncStream<Void> = RelayService.stopSignals,
                started: @escaping @Sendable () async -> Void = {}) {
        (self.tick, self.drain, self.bound, self.stopRequests, self.started) = (tick, drain, bound, stopRequests, started)
    }

    /// How it ended (nil until `run()` returned).
    public var outcome: RelayStop? { stop.withLockedValue { $0 } }

    public func run() async throws {
        let thread = Thread { [self] in
            while !phase.lock(whenValue: 1, timeoutSeconds: 0.1) { tick() }
            phase.unlock()
            ended.complete(Result { try drain() })
        }
        thread.name = "weave serve"
        thread.start()
        await started()
        let result = await withTaskGroup(of: Result<String, Error>?.self) { group -> Result<String, Error>? in
            group.addTask { [ended] in await ended.value() }
            group.addTask { [self] in
                // Cancelled before the shutdown: nothing more to do here (the group is leaving at once).
                guard (try? await gracefulShutdown()) != nil else { return nil }
                phase.lock()
                phase.unlock(withValue: 1)
                for await _ in await stopRequests() {
                    stop.withLockedValue { $0 = $0 ?? .forced("a second stop signal came before the drain finished") }
                    return nil
                }
                return nil
            }
            // The first answer wins: the drain's result, or a forced stop (the other child is cancelled).
            for await answer in group {
                if let answer { group.cancelAll(); return answer }
                if stop.withLockedValue({ $0 }) != nil || Task.isCancelled { group.cancelAll(); return nil }
            }
            return nil
        }
        switch result {
        case .success(let line): stop.withLockedValue { $0 = .drained(line) }
        case .failure(let error): throw error
        case nil: stop.withLockedValue { $0 = $0 ?? .forced("the drain did not finish within \(RelayService.seconds(bound))") }
        }
    }

    /// SIGTERM and SIGINT, each as one request (what a second stop signal forces).
    @Sendable public static func stopSignals() async -> AsyncStream<Void> {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        return AsyncStream { continuation in
            let task = Task {
                for await _ in signals { continuation.yield() }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// "10 s", "1.5 s".
    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }
}

/// `--metrics`' HTTP server as a `Service`: it serves until the group shuts
/// down, then closes. Listed before the relay, so the group (which stops its
/// services in reverse) closes it after the relay's drain.
public struct MetricsService: Service {
    let server: MetricsServer
    public init(_ server: MetricsServer) { self.server = server }

    public func run() async throws {
        try? await gracefulShutdown()  // returns on the shutdown, throws when cancelled: closes either way
        await server.stop()
    }
}

/// A value set once from any thread and awaited by one task; the wait ends
/// with nil when its task is cancelled first.
final class Completion<T: Sendable>: @unchecked Sendable {
    private enum State { case waiting(CheckedContinuation<T?, Never>?), done(T), abandoned }
    private let state = NIOLockedValueBox(State.waiting(nil))

    func complete(_ value: T) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<T?, Never>? in
            guard case .waiting(let c) = s else { return nil }
            s = .done(value)
            return c
        }
        waiter?.resume(returning: value)
    }

    func value() async -> T? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
                let now: T?? = state.withLockedValue { s in
                    switch s {
                    case .done(let v): return .some(v)
                    case .abandoned: return .some(nil)
                    case .waiting: s = .waiting(c); return nil
                    }
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> CheckedContinuation<T?, Never>? in
                guard case .waiting(let c) = s else { return nil }
                s = .abandoned
                return c
            }
            waiter?.resume(returning: nil)
        }
    }
}
