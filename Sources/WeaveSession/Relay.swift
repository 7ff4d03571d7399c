#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals
import WeaveCore
import WeavePeer
import WeaveStore

/// What `weave serve FILE|DIR` was asked for.
public struct ServeOptions {
    public var name = "serve"
    public var port = 7070
    public var bind = "127.0.0.1"
    /// Append a structured log here.
    public var log: String?
    /// Print the read-only invitation instead of the editing one.
    public var readOnly = false
    /// Where this installation's identity and invitations are kept (nil: `PeerIdentity.defaultDirectory()`).
    public var configDirectory: String?
    /// `--metrics [ADDR:]PORT`: serve Prometheus text at /metrics and /healthz there (nil: off).
    public var metrics: String?
    /// `--log-json`: the log as JSON lines instead of key=value lines.
    public var logJSON = false
    /// `--stop-timeout`: how long the drain after SIGTERM or SIGINT may take before the relay exits anyway.
    public var stopTimeout: Duration = .seconds(10)

    public init() {}

    /// `metrics` as a host and port: "9100" is 127.0.0.1:9100, "0.0.0.0:9100"
    /// and "[::1]:9100" say the address. Throws `StartFailure` naming the problem.
    public static func metricsAddress(_ s: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1", port = Substring(s)
        if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon]).trimmingCharacters(in: ["[", "]"])
            port = s[s.index(after: colon)...]
        }
        guard !host.isEmpty, let p = Int(port), (0 ... 65535).contains(p) else {
            throw StartFailure("--metrics takes [ADDR:]PORT (9100, 127.0.0.1:9100, [::1]:9100), not \(s)")
        }
        return (host, p)
    }
}

/// Set by `Relay.holdStopSignals`' handler (a signal handler may only store to such a variable).
nonisolated(unsafe) private var earlyStop: sig_atomic_t = 0

/// `weave serve FILE|DIR`: a headless peer that keeps the document (or the
/// folder) with its history and relays between its joiners, until SIGINT or
/// SIGTERM.
///
/// The hub's loop only queues (history batches, report lines): the disk and
/// the report are written from the serving thread (`RelayService`), so neither
/// can stall a link. `serve` runs it as a swift-service-lifecycle service,
/// whose `ServiceGroup` takes SIGTERM and SIGINT (Dispatch signal sources).
/// Until the group's handlers are in place, a stop signal is noted by the
/// handler `holdStopSignals` installed (the command line calls it first) and
/// acted on once the group runs, instead of killing the relay. `start` also
/// blocks both signals in the calling thread before NIO starts its threads,
/// so they are delivered to the main thread only.
/// `@unchecked Sendable`: `tick` and `finish` run on the serving thread only.
public final class Relay: @unchecked Sendable {
    /// What to print once it listens: where, and the command that joins.
    public private(set) var banner: [String]
    private let hub: PeerHub
    private let lines: LineQueue
    /// The `--log` logger (also the `ServiceGroup`'s).
    private let logger: Logger
    /// Called every 100 ms on the serving thread: makes queued work durable; returns sentences for problems.
    private let tick: () -> [String]
    /// Called after the hub has shut down: writes the last state; returns the closing line.
    private let finish: (RGA) throws -> String
    /// `--metrics`: the HTTP server (closed when the relay stops).
    private var metricsServer: MetricsServer?

    private init(banner: [String], hub: PeerHub, lines: LineQueue, logger: Logger, tick: @escaping () -> [String],
                 finish: @escaping (RGA) throws -> String) {
        (self.banner, self.hub, self.lines, self.logger, self.tick, self.finish) = (banner, hub, lines, logger, tick, finish)
    }

    /// Opens FILE (or DIR) with its history and listens. Throws `StartFailure`.
    public static func start(_ path: String, _ options: ServeOptions) throws -> Relay {
        WorkspaceStart.isFolder(path) ? try folder(WorkspaceStart.trimmed(path), options) : try file(path, options)
    }

    /// The relay's hub settings for `path`: no cursor (joiners show none for
    /// it), TLS with `path`'s invitations, the `--log` file.
    static func configuration(_ path: String, _ options: ServeOptions) throws -> (PeerHub.Configuration, HostInvitations) {
        var config = try SessionStart.configuration(name: options.name, colour: 0, log: options.log, label: "weave.serve",
                                                    logFormat: options.logJSON ? .json : .keyValue)
        config.showsCursor = false
        return try SessionStart.secured(config, for: path, configDirectory: options.configDirectory)
    }

    /// The figures of `--metrics` for `path` (nil when off), hooked into `config`.
    /// A folder relay gives `names` (each shared file's path) and is labelled `DIR/`.
    static func metrics(_ path: String, _ options: ServeOptions, _ config: inout PeerHub.Configuration,
                        names: (@Sendable (DocumentID) -> String?)? = nil) throws -> RelayMetrics? {
        guard let m = options.metrics else { return nil }
        _ = try ServeOptions.metricsAddress(m)  // said before anything starts
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let metrics = RelayMetrics(document: names == nil ? name : name + "/", names: names)
        config.onCatchUp = { metrics.caughtUp(units: $0) }
        return metrics
    }

    /// Starts the `--metrics` server once the hub listens; its address goes in the banner.
    private func serveMetrics(_ metrics: RelayMetrics?, _ options: ServeOptions) throws -> Relay {
        guard let metrics, let m = options.metrics else { return self }
        let (host, port) = try ServeOptions.metricsAddress(m)
        do { metricsServer = try MetricsServer(host: host, port: port, metrics: metrics, hub: hub) } catch {
            _ = try? hub.shutdown()
            throw error
        }
        banner.append("metrics on http://\(metricsServer!.address)/metrics (and /healthz)")
        return self
    }

    static func file(_ path: String, _ options: ServeOptions) throws -> Relay {
        let history: ServeHistory
        do { history = try ServeHistory(StoredDocument(file: path, author: options.name)) } catch { throw StartFailure("\(error)") }
        let document = history.document
        var (config, invitations) = try configuration(path, options)
        let metrics = try metrics(path, options, &config)
        if let metrics { history.onFlush = { metrics.flushed(in: $0) } }
        blockStopSignals()
        let lines = LineQueue()
        let hub = PeerHub(document: document, configuration: config, onEvent: { event in
            if case .remoteOperations(let ops, _) = event { history.record(ops) }
            if case .history(let note) = event { history.learn(note) }
            metrics?.observe(event)
            if let line = report(event) { lines.append(line) }
        })
        hub.addHistory(history.loadedHistory)  // joiners get every edit with its author and time
        let at = try SessionStart.listen(hub, bind: options.bind, port: options.port, invitations: invitations,
                                         readOnly: options.readOnly, expires: nil, config: config)
        return try Relay(banner: [
            "serving \(path) (\(document.count) characters) on \(at.address) (TLS 1.3, invited peers only)",
            "join with: \(HostInvitations.joinCommand(address: at.address, at.invitation))",
            "stop with Ctrl-C; the text is saved to \(path)",
        ], hub: hub, lines: lines, logger: config.logger, tick: {
            // Recorded batches are made durable (group commit: at most ~100 ms after they arrived).
            history.flushIfNeeded().map { ["history not saved: \($0)"] } ?? []
        }, finish: { final in
            try history.finish(final)
            return "saved \(final.count) characters to \(path) (history in \(OpLog.sidecarPath(for: path)))"
        }).serveMetrics(metrics, options)
    }

    static func folder(_ root: String, _ options: ServeOptions) throws -> Relay {
        let folder: WorkspaceFolder
        do {
            folder = try WorkspaceFolder(root: root, replica: .random(), author: options.name, colour: 0,
                                         workspaceID: UInt64.random(in: 1 ... .max))
            folder.deferSyncs()
            _ = try folder.scan()
        } catch {
            throw StartFailure("cannot share \(root): \(error)")
        }
        var (config, invitations) = try configuration(root, options)
        config.share = .folder(folder.workspaceID)
        let relay = WorkspaceRelay(folder: folder)
        let metrics = try metrics(root, options, &config, names: { [relay] in relay.path(of: $0) })
        if let metrics { relay.onCommit = { metrics.flushed(in: $0, documents: $1) } }
        blockStopSignals()
        let lines = LineQueue()
        let hub = PeerHub(document: folder.manifest.doc, configuration: config, onEvent: { event in
            relay.post(event)
            metrics?.observe(event)
            if let line = report(event) { lines.append(line) }
        })
        hub.addHistory(folder.manifest.history)
        do { try relay.start(hub) } catch {
            _ = try? hub.shutdown()
            throw StartFailure("cannot serve \(root): \(error)")
        }
        let at = try SessionStart.listen(hub, bind: options.bind, port: options.port, invitations: invitations,
                                         readOnly: options.readOnly, expires: nil, config: config)
        let base = root.split(separator: "/").last.map(String.init) ?? "shared"
        return try Relay(banner: [
            "serving the folder \(root) (\(folder.state.files.count) files) on \(at.address) (TLS 1.3, invited peers only)",
            "join with: \(HostInvitations.joinCommand(address: at.address, at.invitation)) \(base)/",
            "stop with Ctrl-C",
        ], hub: hub, lines: lines, logger: config.logger, tick: { relay.process() }, finish: { _ in
            try relay.finish()
            return "saved the folder \(root) (\(folder.state.files.count) files)"
        }).serveMetrics(metrics, options)
    }

    /// Serves until SIGTERM or SIGINT, as a `ServiceGroup` of the relay
    /// (`RelayService`) and the `--metrics` server (`MetricsService`): every
    /// 100 ms `say`s the queued join/leave lines and the problems of making
    /// work durable (prefixed "! "). On the signal, the drain: what came is
    /// made durable, every peer is told the relay is restarting, the last
    /// state is written; returns `.drained` with the closing line. Returns
    /// `.forced` if a second signal comes or the drain takes longer than
    /// `stopTimeout` (the caller then exits at once, non-zero: the histories
    /// hold every edit made durable before the drain stalled). Throws what
    /// the last write threw.
    public func serve(stopTimeout: Duration, say: @escaping @Sendable (String) -> Void) async throws -> RelayStop {
        let holder = NIOLockedValueBox<ServiceGroup?>(nil)
        let relay = RelayService(tick: { [self] in report(say) }, drain: { [self] in try drain(say) }, bound: stopTimeout,
                                 started: {
                                     // A signal that came before the group's handlers were in place.
                                     if Relay.stoppedEarly, let group = holder.withLockedValue({ $0 }) { await group.triggerGracefulShutdown() }
                                 })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let metricsServer {
            // First in the list: the group stops services in reverse, so the figures stay up during the drain.
            services.append(.init(service: MetricsService(metricsServer), successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        services.append(.init(service: relay, successTerminationBehavior: .gracefullyShutdownGroup,
                              failureTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = stopTimeout
        let group = ServiceGroup(configuration: configuration)
        holder.withLockedValue { $0 = group }
        try await group.run()
        let outcome = relay.outcome ?? .forced("the relay stopped before it was asked to")
        if case .forced(let why) = outcome { logger.warning("stopped without finishing", metadata: ["why": "\(why)"]) }
        return outcome
    }

    /// The queued lines, and the problems of making work durable (the serving thread).
    private func report(_ say: (String) -> Void) {
        for line in lines.take() { say(line) }
        for problem in tick() { say("! \(problem)") }
    }

    /// After the stop signal (the serving thread): durable first, then the goodbyes, then the last state.
    private func drain(_ say: (String) -> Void) throws -> String {
        report(say)
        let final = try hub.shutdown(saying: PeerHub.restartingReason)
        for line in lines.take() { say(line) }
        return try finish(final)
    }

    /// The line the relay's output shows for a join, a leave or a failed connection (nil for other events).
    @Sendable public static func report(_ event: PeerEvent) -> String? {
        switch event {
        case .peerJoined(let p): return "+ \(p.name.isEmpty ? "?" : p.name) (\(p.address)) joined"
        case .peerLeft(let p, let reason): return "- \(p.name.isEmpty ? "?" : p.name) (\(p.address)) left: \(reason)"
        case .connectionError(let address, let reason): return "! \(address): \(reason)"
        default: return nil
        }
    }

    /// Call first, on the main thread (before `start`): until the
    /// `ServiceGroup` installs its own handlers (Dispatch's, which replace
    /// this one), SIGTERM and SIGINT are noted (`stoppedEarly`) instead of
    /// killing the process; `serve` then shuts the group down at once. (Only
    /// blocking them is not enough: the idle main thread waits in Dispatch's
    /// `sigsuspend`, which unblocks every signal.)
    public static func holdStopSignals() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in earlyStop = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
    }

    /// Whether SIGTERM or SIGINT came while `holdStopSignals`' handler was in place.
    static var stoppedEarly: Bool { earlyStop != 0 }

    /// Blocks SIGINT and SIGTERM in the calling thread and the threads it
    /// starts afterwards (NIO's): they go to the main thread (Dispatch's
    /// workers block them too), the one thread that waits for signals.
    static func blockStopSignals() {
        var stop = sigset_t()
        sigemptyset(&stop)
        sigaddset(&stop, SIGINT)
        sigaddset(&stop, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stop, nil)
    }
}
