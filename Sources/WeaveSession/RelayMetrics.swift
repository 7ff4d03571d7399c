#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import WeaveCore
import WeavePeer

/// `weave serve … --metrics ADDR:PORT` (issue 35): the relay's figures in
/// Prometheus text at `/metrics`, and `/healthz` ("ok" while the hub's loop
/// answers within a second, else 503).
///
/// The figures are swift-metrics values made by a `PrometheusMetricsFactory`
/// on a registry of their own (no global bootstrap: several relays may run in
/// one process, as in the tests). Counters that only grow (links, refusals)
/// move with the hub's events; the traffic counters are the hub's totals
/// (`PeerHub.traffic`), added as deltas at each scrape; gauges (peers, queue
/// depth, time since the last write, RSS) are sampled at each scrape. The
/// fsync latency is a histogram fed by `flushed(in:documents:)`: per history
/// flush for a file relay (`ServeHistory.onFlush`), per group commit of the
/// folder for a folder relay (`WorkspaceRelay.onCommit`).
///
/// Per document: a file relay labels its figures with the file's name. A
/// folder relay (`names` given) labels the folder's own figures `DIR/` (every
/// connected peer; the last commit of anything) and adds one `weave_peers` and
/// one `weave_since_last_write_seconds` per file, named by its path in the
/// folder: peers are counted by the document their presence says they are in,
/// and a file's write time is that of the commit that made its text durable.
/// A file's figures appear once it has had a peer or a write, and stay (at 0
/// peers) after everyone left it.
///
/// Cost: events and flushes touch a lock-free counter or one short lock; a
/// scrape asks the hub's loop three times (O(connections + replicas)) and
/// renders O(documents seen) figures. Nothing runs between scrapes.
public final class RelayMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let document: String
    /// A folder relay's paths by document (any thread), or nil for a file relay.
    private let names: (@Sendable (DocumentID) -> String?)?
    private let started = ContinuousClock.now
    /// When each label's document was last made durable (absent: not since start).
    private let lastWrite = NIOLockedValueBox<[String: ContinuousClock.Instant]>([:])
    /// Per-document gauges by label (the HTTP loop only, but created under a lock for `flushed`).
    private let documentGauges = NIOLockedValueBox<[String: (peers: Meter, sinceWrite: Meter)]>([:])

    private let linksOpened: CoreMetrics.Counter
    private let queueDepth: Meter
    private let rss: Meter
    private let catchUp: Recorder
    private let fsync: Metrics.Timer
    private var traffic: [(KeyPath<HubTraffic, Int>, CoreMetrics.Counter)]
    /// The hub's totals at the last scrape (the HTTP loop only).
    private var lastTraffic = HubTraffic()
    private let refusals = NIOLockedValueBox<[String: CoreMetrics.Counter]>([:])

    /// `weave_NAME_UNIT` with its help line (promtool wants one per figure).
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "weave", metricName: metric, unitName: unit, helpText: help)
    }

    private func counter(_ metric: String, _ help: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        let d = Self.name(metric, "total", help)
        return CoreMetrics.Counter(label: d.name, dimensions: labels, handler: registry.makeCounter(descriptor: d, labels: labels), factory: factory)
    }

    private func gauge(_ metric: String, _ unit: String, _ help: String, _ labels: [(String, String)] = []) -> Meter {
        let d = Self.name(metric, unit, help)
        return Meter(label: d.name, dimensions: labels, handler: registry.makeGauge(descriptor: d, labels: labels), factory: factory)
    }

    /// Figures of a relay serving `document` (its name labels the per-document
    /// figures). For a folder relay, `document` is `DIR/` and `names` gives
    /// each shared file's path (called from any thread; nil: not a file now).
    public init(document: String, names: (@Sendable (DocumentID) -> String?)? = nil) {
        self.document = document
        self.names = names
        factory = PrometheusMetricsFactory(registry: registry)
        let fsyncName = Self.name("history_fsync", "seconds", "Time to write and fsync the history, per group commit.")
        fsync = Metrics.Timer(label: fsyncName.name, dimensions: [], handler: registry.makeDurationHistogram(descriptor: fsyncName, labels: [],
            buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                      .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5)]), factory: factory)
        let catchUpName = Self.name("catchup", "units", "Units sent to a peer in the catch-up right after its handshake.")
        catchUp = Recorder(label: catchUpName.name, dimensions: [], aggregate: true, handler: registry.makeValueHistogram(
            descriptor: catchUpName, labels: [], buckets: [0, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]), factory: factory)
        // (Assigned before the helpers below may be called.)
        linksOpened = CoreMetrics.Counter(label: "weave_links_opened_total", dimensions: [], handler: registry.makeCounter(
            descriptor: Self.name("links_opened", "total", "Links whose handshake completed."), labels: []), factory: factory)
        queueDepth = Meter(label: "weave_outbound_queue_units", dimensions: [], handler: registry.makeGauge(
            descriptor: Self.name("outbound_queue", "units", "Units the relay has that its peers are not known to have yet."), labels: []),
            factory: factory)
        rss = Meter(label: "weave_resident_memory_bytes", dimensions: [], handler: registry.makeGauge(
            descriptor: Self.name("resident_memory", "bytes", "The relay process's resident set size."), labels: []), factory: factory)
        traffic = []
        traffic = [
            (\HubTraffic.bytesIn, counter("bytes_received", "Bytes read from peers' sockets (TLS records included).")),
            (\.bytesOut, counter("bytes_sent", "Bytes written to peers' sockets (TLS records included).")),
            (\.opsIn, counter("ops_received", "Operations received from peers.")),
            (\.opsOut, counter("ops_sent", "Operations sent to peers.")),
            (\.unitsIn, counter("units_received", "Units (characters inserted or deleted) received from peers.")),
            (\.unitsOut, counter("units_sent", "Units (characters inserted or deleted) sent to peers.")),
            (\.opsDeclined, counter("ops_declined", "Operations not applied, by reason.", [("reason", "read-only")])),
        ]
        // Every refusal reason is listed from the start (at 0), so a graph has no gaps.
        for reason in ["invitation", "not-let-in", "version", "handshake-timeout", "offline", "other"] { _ = refusal(reason) }
        _ = gauges(document)
    }

    /// The peers and since-last-write gauges labelled `label`, made at first use.
    private func gauges(_ label: String) -> (peers: Meter, sinceWrite: Meter) {
        documentGauges.withLockedValue { g in
            if let made = g[label] { return made }
            let doc = [("document", label)]
            let made = (peers: gauge("peers", "", "Peers connected, per document (a folder's files: peers whose cursor is in the file).", doc),
                        sinceWrite: gauge("since_last_write", "seconds",
                                          "Seconds since the document's history last made an edit durable (or since the relay started).", doc))
            g[label] = made
            return made
        }
    }

    private func refusal(_ reason: String) -> CoreMetrics.Counter {
        refusals.withLockedValue { r in
            if let c = r[reason] { return c }
            let c = counter("links_refused", "Connections that ended before their handshake completed, by reason.", [("reason", reason)])
            r[reason] = c
            return c
        }
    }

    // MARK: Hooks

    /// A hub event (any thread; O(1)).
    public func observe(_ event: PeerEvent) {
        switch event {
        case .peerJoined: linksOpened.increment()
        case .connectionError(_, let reason): refusal(Self.reason(reason)).increment()
        default: break
        }
    }

    /// One catch-up sent after a handshake (`PeerHub.Configuration.onCatchUp`).
    public func caughtUp(units: Int) { catchUp.record(units) }

    /// One write + fsync (`ServeHistory.onFlush`, `WorkspaceRelay.onCommit`)
    /// that made `documents` durable: a folder's files by path (the folder
    /// itself always counts as written); ignored for a file relay, whose one
    /// document is the one written. O(documents).
    public func flushed(in duration: Duration, documents: [String] = []) {
        let (s, atto) = duration.components
        fsync.recordNanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
        let now = ContinuousClock.Instant.now
        let labels = names == nil ? [document] : [document] + documents
        lastWrite.withLockedValue { for l in labels { $0[l] = now } }
    }

    /// A link that never opened, by why: the label of `weave_links_refused_total`.
    static func reason(_ e: PeerError) -> String {
        switch e {
        case .unauthorized(.notApproved): return "not-let-in"
        case .unauthorized: return "invitation"
        case .versionMismatch, .notWeave: return "version"
        case .refused(let r) where r.code == .versionMismatch: return "version"
        case .refused(let r) where r.code == .unauthorized: return "invitation"
        case .handshakeTimeout, .slowLink: return "handshake-timeout"
        case .closedLocally: return "offline"
        default: return "other"
        }
    }

    // MARK: Scrape

    /// Samples the hub and renders every figure as Prometheus text (on `loop`).
    func scrape(_ hub: PeerHub, on loop: EventLoop) -> EventLoopFuture<String> {
        hub.stats().and(hub.traffic()).and(hub.presences()).hop(to: loop).map { [self] in
            let ((stats, t), presences) = $0
            let connected = stats.peers.filter { $0.state == .connected }
            var peers = [document: connected.count]
            if let names {
                // A folder's files: connected peers by the document their presence is in.
                let here = Set(connected.compactMap { $0.peer?.replica })
                for p in presences where here.contains(p.replica) && p.document != .main {
                    if let path = names(p.document) { peers[path, default: 0] += 1 }
                }
                for path in lastWrite.withLockedValue({ Array($0.keys) }) { _ = gauges(path) }
            }
            for path in peers.keys { _ = gauges(path) }
            let writes = lastWrite.withLockedValue { $0 }
            let now = ContinuousClock.now
            for (label, g) in documentGauges.withLockedValue({ $0 }) {
                g.peers.set(peers[label] ?? 0)
                let since = now - (writes[label] ?? started)
                g.sinceWrite.set(Double(since.components.seconds) + Double(since.components.attoseconds) / 1e18)
            }
            queueDepth.set(stats.peers.reduce(0) { $0 + $1.unitsQueued })
            if let bytes = Self.residentBytes() { rss.set(bytes) }
            for (path, counter) in traffic where t[keyPath: path] > lastTraffic[keyPath: path] {
                counter.increment(by: t[keyPath: path] - lastTraffic[keyPath: path])
            }
            lastTraffic = t
            return registry.emitToString()
        }
    }

    /// The process's resident set size in bytes (Linux: /proc/self/statm), or nil.
    static func residentBytes() -> Int? {
        guard let f = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(f) }
        var size = 0, resident = 0
        guard fscanf_pair(f, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func fscanf_pair(_ f: UnsafeMutablePointer<FILE>, _ a: inout Int, _ b: inout Int) -> Bool {
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), f) != nil else { return false }
        let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count >= 2 else { return false }
        (a, b) = (fields[0], fields[1])
        return true
    }
}

/// The HTTP side of `--metrics`: GET /metrics and GET /healthz, on a loop of
/// its own (a slow scraper never touches the hub's loop but to sample it).
public final class MetricsServer: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    /// Where it listens ("127.0.0.1:9100").
    public private(set) var address = ""

    /// Binds `host:port` (port 0: any free port). Throws `StartFailure` when it cannot.
    public init(host: String, port: Int, metrics: RelayMetrics, hub: PeerHub) throws {
        do {
            let ch = try ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics, hub: hub))
                    }
                }
                .bind(host: host, port: port).wait()
            channel = ch
            if let a = ch.localAddress, let ip = a.ipAddress, let p = a.port {
                address = a.protocol == .inet6 ? "[\(ip)]:\(p)" : "\(ip):\(p)"
            }
        } catch {
            try? group.syncShutdownGracefully()
            throw StartFailure("cannot serve metrics on \(host):\(port): \(error)")
        }
    }

    /// Closes the listener and its loop. Blocks.
    public func close() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Closes the listener and its loop, without blocking a thread (`MetricsService`).
    public func stop() async {
        try? await channel?.close().get()
        try? await group.shutdownGracefully()
    }
}

final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let metrics: RelayMetrics
    private let hub: PeerHub
    private var request: HTTPRequestHead?

    init(metrics: RelayMetrics, hub: PeerHub) { (self.metrics, self.hub) = (metrics, hub) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let loop = context.eventLoop
            let ctx = NIOLoopBound(context, eventLoop: loop)
            guard head.method == .GET || head.method == .HEAD else {
                return respond(ctx.value, head, .methodNotAllowed, "only GET\n")
            }
            switch path {
            case "/metrics":
                metrics.scrape(hub, on: loop).whenComplete { [self] result in
                    switch result {
                    case .success(let text):
                        respond(ctx.value, head, .ok, text, type: "text/plain; version=0.0.4; charset=utf-8")
                    case .failure(let e):
                        respond(ctx.value, head, .serviceUnavailable, "the relay did not answer: \(e)\n")
                    }
                }
            case "/healthz":
                // Healthy: the hub's loop answers within a second.
                let timeout = loop.scheduleTask(in: .seconds(1)) { [self] in respond(ctx.value, head, .serviceUnavailable, "hub not answering\n") }
                hub.stats().hop(to: loop).whenComplete { [self] result in
                    timeout.cancel()
                    if case .success = result { respond(ctx.value, head, .ok, "ok\n") }
                }
            default:
                respond(ctx.value, head, .notFound, "not found: try /metrics or /healthz\n")
            }
        }
    }

    private var answered = false

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: String,
                         type: String = "text/plain; charset=utf-8") {
        guard !answered else { return }
        answered = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
