import ArgumentParser
import Foundation
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveSession
import WeaveStore
import WeaveTrace

/// `weave-bench peers`: peers over loopback TCP (release build).
struct BenchPeers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "Measure joining, edit latency and sustained load between peers over loopback.",
        discussion: """
        join: a hub holding automerge-paper's full history (--trace, else WEAVE_TRACES or \
        ../shared/traces) and a joiner with an empty document: from connect() until the joiner \
        has every operation (caughtUp) and has built its editor on the document and rendered \
        the first screen — what weave join does before its UI starts. \
        latency: one single-character insert submitted on one hub until the other hub's \
        event has been taken from its inbox and applied to an Editor, --edits times (median, p99). \
        load: three peers (B and C joined to A) each submitting 10,000 operations per second \
        (batches of 100 every 10 ms, each operation one unit) for --seconds, then waiting until \
        all three documents are equal. Each second (heap trimmed first): RSS, the bytes the six \
        replicas in the process (3 hubs' documents, 3 mirrors the load edits) account for, the \
        residual (RSS minus that: queues, buffers, connection state, allocator slack), and each \
        hub's queued units. "Memory stays flat" is checked as three bounds: the residual grows \
        from second 5 to the end of the load by at most --residual-limit-mb plus 5% of the \
        replicas' own growth (nothing but the documents accumulates); no hub ever has more than \
        one second of operations queued for its peers; and the documents, which keep every \
        operation, cost at most --unit-budget bytes per unit they hold (12 for the steady mix, \
        96 for the random one). Fails if the peers do not converge or a bound is exceeded. \
        Run in release: swift run -c release weave-bench peers
        """)

    @Option(help: "The automerge-paper trace (.json or .json.gz).")
    var trace: String?

    @Option(help: "Edits for the latency measurement.")
    var edits = 1000

    @Option(help: "Seconds of the three-peer load (0 skips it).")
    var seconds = 30

    @Option(help: "Operations per second per peer in the load.")
    var rate = 10_000

    @Option(help: "Which measurements, comma-separated: join, latency, load.")
    var parts = "join,latency,load"

    @Option(help: "The load's editing: random (single characters at random places, 3 inserts to 1 delete: the text grows) or steady (each peer types runs at its cursor and deletes as much as it types: the text stays bounded).")
    var mix: LoadMix = .steady

    @Option(help: "Seed of the load's editing (random when absent; printed).")
    var seed: UInt64?

    @Option(help: "How far the residual (RSS minus the six replicas' own count) may grow from second 5 to the end of the load, in MB, on top of 5% of the replicas' own growth.")
    var residualLimitMb = 16.0

    @Option(help: "The most bytes the six replicas may count per unit they hold at the end of the load (default: 12 for --mix steady, 96 for --mix random).")
    var unitBudget: Double?

    @Flag(help: "Also print the load's figures as one JSON line.")
    var json = false

    func run() throws {
        let want = Set(parts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        if want.contains("join") { try benchJoin() }
        if want.contains("latency") { try benchLatency() }
        if want.contains("load"), seconds > 0 { try benchLoad() }
    }

    func tracePath() -> String? { automergePaperTrace(trace) }

    // MARK: join

    func benchJoin() throws {
        guard let path = tracePath() else {
            print("join          skipped: no automerge-paper trace (--trace, WEAVE_TRACES or ../shared/traces)")
            return
        }
        let doc = try EditingTrace.load(path: path).replay()
        let host = PeerHub(document: doc, configuration: .init(name: "host", colour: 0))
        defer { _ = try? host.shutdown() }
        let port = try host.listen(host: "127.0.0.1", port: 0).port!
        for round in 0 ..< 3 {
            let inbox = try PeerInbox()
            var shared = RGA(replica: .random())
            let joiner = PeerHub(document: shared, configuration: .init(name: "joiner", colour: 1), onEvent: inbox.post)
            let start = ContinuousClock.now
            joiner.connect(host: "127.0.0.1", port: port)
            var caughtUp = false
            var ops = 0
            let deadline = start + .seconds(30)
            while !caughtUp, ContinuousClock.now < deadline {
                var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 1, 100)
                for e in inbox.drain() {
                    switch e {
                    case .remoteOperations(let batch, _):
                        try shared.receive(contentsOf: batch)
                        ops += batch.count
                    case .caughtUp: caughtUp = true
                    default: break
                    }
                }
            }
            let received = ContinuousClock.now - start
            var editor = Editor(fileName: "paper.tex", document: shared)
            _ = editor.handle(.resize(width: 80, height: 24))
            _ = editor.render()
            let total = ContinuousClock.now - start
            _ = try joiner.shutdown()
            guard caughtUp, shared.text == doc.text else { throw BenchFailure("join: the joiner did not get the document") }
            print("join          round \(round + 1): \(String(format: "%.0f", total.ms)) ms to the first screen (\(String(format: "%.0f", received.ms)) ms to caughtUp; \(ops) ops carrying \(doc.version.total) units, \(doc.count) characters)")
        }
        try benchJoinWithHistory(path)
    }

    /// The same join with the whole history travelling (protocol 2's History
    /// frames): the host's hub knows every edit's boundaries and time; the
    /// joiner splits what arrives into those edits and writes its history file
    /// (`StoredDocument.record(_:current:)`, one snapshot), as `weave join FILE` does.
    func benchJoinWithHistory(_ path: String) throws {
        let (_, history, doc) = try EditingTrace.load(path: path).history()
        let host = PeerHub(document: doc, configuration: .init(name: "host", colour: 0))
        defer { _ = try? host.shutdown() }
        host.addHistory(history)
        let port = try host.listen(host: "127.0.0.1", port: 0).port!
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weave-bench-join-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hostSidecar = dir + "/host.weave"
        try OpLog.write(path: hostSidecar, ops: doc.operations(since: VersionVector()), history: history, textMark: nil,
                         state: StateSnapshot(of: doc, history: history))  // as a joiner's compacted file holds one
        let hostBytes = (try? FileManager.default.attributesOfItem(atPath: hostSidecar)[.size] as? Int) ?? 0
        for round in 0 ..< 3 {
            let file = dir + "/copy\(round).txt"
            let store = try StoredDocument(file: file, author: "joiner")
            let inbox = try PeerInbox()
            var shared = store.doc
            let joiner = PeerHub(document: shared, configuration: .init(name: "joiner", colour: 1), onEvent: inbox.post)
            let start = ContinuousClock.now
            joiner.connect(host: "127.0.0.1", port: port)
            var marks = MarkTable()
            var pieces: [(time: Int64, ops: [WeaveCore.Operation])] = []
            var caughtUp = false
            let deadline = start + .seconds(30)
            while !caughtUp, ContinuousClock.now < deadline {
                var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 1, 100)
                for e in inbox.drain() {
                    switch e {
                    case .history(let note):
                        for m in note.marks { marks.insert(m) }
                        for a in note.authors { store.registerAuthor(a) }
                    case .remoteOperations(let batch, _):
                        try shared.receive(contentsOf: batch)
                        pieces += marks.split(batch, fallbackTime: 0)
                    case .caughtUp: caughtUp = true
                    default: break
                    }
                }
            }
            try store.record(pieces, current: shared)
            var editor = Editor(fileName: "paper.tex", document: shared)
            _ = editor.handle(.resize(width: 80, height: 24))
            _ = editor.render()
            let total = ContinuousClock.now - start
            _ = try joiner.shutdown()
            guard caughtUp, shared.text == doc.text, store.history.edits.count == history.edits.count else {
                throw BenchFailure("join with history: the joiner has \(store.history.edits.count) of \(history.edits.count) edits")
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: OpLog.sidecarPath(for: file))[.size] as? Int) ?? 0
            print("join+history  round \(round + 1): \(String(format: "%.0f", total.ms)) ms to the first screen with all \(history.edits.count) edits, their times and authors written to the joiner's history (\(bytes) bytes; the host's history file \(hostBytes) bytes)")
        }
    }

    // MARK: latency

    func benchLatency() throws {
        var mirrorA = RGA(replica: .random())
        let a = PeerHub(document: mirrorA, configuration: .init(name: "a", colour: 0))
        defer { _ = try? a.shutdown() }
        let port = try a.listen(host: "127.0.0.1", port: 0).port!
        let inbox = try PeerInbox()
        let b = PeerHub(document: RGA(replica: .random()), configuration: .init(name: "b", colour: 1), onEvent: inbox.post)
        defer { _ = try? b.shutdown() }
        var editorB = Editor(fileName: "b", text: "")
        editorB = Editor(fileName: "b", document: RGA(replica: b.replica))
        b.connect(host: "127.0.0.1", port: port)
        // Wait for the link.
        let ready = ContinuousClock.now + .seconds(10)
        var joined = false
        while !joined, ContinuousClock.now < ready {
            var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            for e in inbox.drain() { if case .caughtUp = e { joined = true } }
        }
        guard joined else { throw BenchFailure("latency: no link") }
        var samples: [Double] = []
        for i in 0 ..< edits + 50 {
            let op = mirrorA.insert([Unicode.Scalar(UInt8(97 + i % 26))], at: mirrorA.count)!
            let start = ContinuousClock.now
            a.submit(op)
            var got = false
            let deadline = start + .seconds(5)
            while !got, ContinuousClock.now < deadline {
                var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 1, 100)
                for e in inbox.drain() {
                    if case .remoteOperations(let ops, _) = e {
                        try editorB.receive(ops)
                        got = true
                    }
                }
            }
            guard got else { throw BenchFailure("latency: edit \(i) never arrived") }
            if i >= 50 { samples.append((ContinuousClock.now - start).ms) }  // 50 warm-up edits
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        print("latency       median \(String(format: "%.3f", p50)) ms, p99 \(String(format: "%.3f", p99)) ms, max \(String(format: "%.3f", samples.last!)) ms over \(samples.count) edits (submit on A → applied to B's Editor)")
    }

    // MARK: load (see PeerLoadBench below)

    static func rssKB() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ")[1]) ?? 0
        }
        return 0
    }
}

// MARK: - load

/// How the load edits.
enum LoadMix: String, ExpressibleByArgument, CaseIterable, Codable {
    /// Single characters at random places, three inserts to one delete: the text grows
    /// by half an element per operation and almost every element is its own span.
    case random
    /// Each peer types a run at its cursor, then jumps elsewhere and backspaces a
    /// run as long: once its text reaches `LoadTypist.steadyLength` it deletes as much
    /// as it types, as real editing does.
    case steady
}

/// One peer's editing in the load, on its mirror document.
struct LoadTypist {
    /// Visible scalars each peer keeps its text at in the steady mix.
    static let steadyLength = 3_000
    var rng: SplitMix64
    var cursor = 0
    var runLeft = 0
    var typing = true
    var typed = 0

    /// The next one-unit operation (nil only when there is nothing to do, never in practice).
    mutating func next(_ doc: inout RGA, mix: LoadMix) -> WeaveCore.Operation? {
        let letter = Unicode.Scalar(UInt8(97 + typed % 26))
        typed += 1
        let n = doc.count
        switch mix {
        case .random:
            if typed % 4 == 0, n > 0 { return doc.delete(at: Int.random(in: 0 ..< n, using: &rng), length: 1) }
            return doc.insert([letter], at: Int.random(in: 0 ... n, using: &rng))
        case .steady:
            if runLeft == 0 {
                // A new run somewhere else: typing until the text has its length, then
                // alternately typing and deleting runs of the same lengths.
                runLeft = Int.random(in: 1 ... 40, using: &rng)
                typing = n < LoadTypist.steadyLength || !typing || n < runLeft
                cursor = Int.random(in: 0 ... n, using: &rng)
            }
            runLeft -= 1
            cursor = min(cursor, n)
            if !typing, n > 0 {
                if cursor > 0 { cursor -= 1; return doc.delete(at: cursor, length: 1) }  // Backspace
                return doc.delete(at: 0, length: 1)  // Delete, at the start
            }
            defer { cursor += 1 }
            return doc.insert([typed % 9 == 0 ? " " : letter], at: cursor)
        }
    }
}

/// One sample of the load, taken with the heap trimmed.
struct LoadSample: Codable {
    var second: Double
    var rss_mb: Double
    /// Bytes the six replicas count for themselves as in use (`RGA.memoryUsage.live`).
    var accounted_mb: Double
    /// With their arrays' spare capacity (`RGA.memoryUsage.total`).
    var allocated_mb: Double
    var residual_mb: Double
    /// Units in each hub's document.
    var units: [Int]
    /// Units each hub has that some peer is not known to have, summed over its peers.
    var queued_units: [Int]
    /// Operations in each hub's causal buffer.
    var pending_operations: [Int]
}

struct LoadResult: Codable {
    var mix: LoadMix
    var seed: UInt64
    var seconds: Int
    var ops_per_second_per_peer: Int
    var operations: Int
    var converged: Bool
    var settle_ms: Double
    var units: Int
    var characters: Int
    var elements: Int
    var samples: [LoadSample]
    /// The six replicas' usage at the end, summed, by part.
    var usage_end: MemoryUsage
    /// Units held by the six replicas at the end (3 × the hub's, plus each mirror's own).
    var units_held: Int
    var elements_held: Int
    var accounted_bytes_per_unit: Double
    var accounted_bytes_per_element: Double
    var history_bytes_per_unit: Double
    var rss_bytes_per_unit: Double
    var residual_growth_mb: Double
    var residual_limit_mb: Double
    /// Hub A's document alone at the end: bytes it counts per unit it holds, and of those its history's.
    var hub_bytes_per_unit: Double
    var hub_history_bytes_per_unit: Double
    /// The most units any hub had queued for its peers at any sample, and the bound (one second of one peer's operations).
    var most_queued_units: Int
    var queued_limit: Int
    var unit_budget: Double
    /// All three bounds held.
    var flat: Bool
}

extension BenchPeers {
    func benchLoad() throws {
        let seed = self.seed ?? UInt64.random(in: 0 ... .max)
        var mirrors = (0 ..< 3).map { _ in RGA(replica: .random()) }
        var typists = (0 ..< 3).map { LoadTypist(rng: SplitMix64(seed: seed &+ UInt64($0))) }
        let hubs = mirrors.enumerated().map { i, m in PeerHub(document: m, configuration: .init(name: "p\(i)", colour: UInt8(i))) }
        defer { for h in hubs { _ = try? h.shutdown() } }
        let port = try hubs[0].listen(host: "127.0.0.1", port: 0).port!
        hubs[1].connect(host: "127.0.0.1", port: port)
        hubs[2].connect(host: "127.0.0.1", port: port)
        Thread.sleep(forTimeInterval: 0.3)

        let perTick = max(1, rate / 100)
        let start = ContinuousClock.now
        func sample() throws -> (LoadSample, MemoryUsage) {
            trimHeap()
            let rss = residentBytes()
            var usage = mirrors.reduce(MemoryUsage()) { $0 + $1.memoryUsage }
            var units: [Int] = [], queued: [Int] = [], pending: [Int] = []
            for h in hubs {
                usage = usage + (try h.withDocument { $0.memoryUsage }.wait())
                let st = try h.currentStats()
                units.append(st.units)
                queued.append(st.peers.reduce(0) { $0 + $1.unitsQueued })
                pending.append(st.pendingOperations)
            }
            let mb = 1_048_576.0
            return (LoadSample(second: (ContinuousClock.now - start).ms / 1000, rss_mb: Double(rss) / mb,
                               accounted_mb: Double(usage.live) / mb, allocated_mb: Double(usage.total) / mb,
                               residual_mb: Double(rss - usage.live) / mb,
                               units: units, queued_units: queued, pending_operations: pending), usage)
        }
        var samples = [try sample().0]
        var next = start
        var sent = 0
        var nextSample = start + .seconds(1)
        while ContinuousClock.now - start < .seconds(seconds) {
            for p in 0 ..< 3 {
                var batch: [WeaveCore.Operation] = []
                batch.reserveCapacity(perTick)
                for _ in 0 ..< perTick {
                    if let op = typists[p].next(&mirrors[p], mix: mix) { batch.append(op) }
                }
                hubs[p].submit(batch)
                sent += batch.count
            }
            if ContinuousClock.now >= nextSample {
                samples.append(try sample().0)
                nextSample += .seconds(1)
            }
            next += .milliseconds(10)
            let wait = next - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.ms / 1000) }
        }
        let produced = ContinuousClock.now - start
        let inLoad = samples.count  // samples taken while the load ran (the first at 0 s)

        // Converge: all three versions equal (bounded wait), then the texts.
        let deadline = ContinuousClock.now + .seconds(60)
        var converged = false
        while ContinuousClock.now < deadline {
            let versions = try hubs.map { try $0.withDocument { $0.version }.wait() }
            if versions.allSatisfy({ $0 == versions[0] }) { converged = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let settle = ContinuousClock.now - start - produced
        let finals = try hubs.map { try $0.snapshot() }
        let text = finals[0].text
        converged = converged && finals.allSatisfy { $0.text == text }
        let (last, usage) = try sample()
        samples.append(last)

        // What must grow (the replicas) against what must not (everything else).
        let units = finals[0].version.total
        let unitsHeld = 3 * units + mirrors.reduce(0) { $0 + $1.version.total }
        let elementsHeld = 3 * finals[0].elementCount + mirrors.reduce(0) { $0 + $1.elementCount }
        let from = samples[min(5, inLoad - 1)], to = samples[inLoad - 1]
        let residualGrowth = to.residual_mb - from.residual_mb
        let limit = residualLimitMb + 0.05 * max(0, to.accounted_mb - from.accounted_mb)
        let mostQueued = samples.flatMap(\.queued_units).max() ?? 0
        let budget = unitBudget ?? (mix == .steady ? 12 : 96)
        let perUnit = Double(usage.live) / Double(max(1, unitsHeld))
        let hubUsage = try hubs[0].withDocument { $0.memoryUsage }.wait()
        let flat = residualGrowth <= limit && mostQueued <= rate && perUnit <= budget
        let result = LoadResult(
            mix: mix, seed: seed, seconds: seconds,
            ops_per_second_per_peer: Int(Double(sent) / 3 / (produced.ms / 1000)), operations: sent,
            converged: converged, settle_ms: settle.ms, units: units, characters: text.unicodeScalars.count,
            elements: finals[0].elementCount, samples: samples, usage_end: usage,
            units_held: unitsHeld, elements_held: elementsHeld,
            accounted_bytes_per_unit: perUnit,
            accounted_bytes_per_element: Double(usage.live) / Double(max(1, elementsHeld)),
            history_bytes_per_unit: Double(usage.history) / Double(max(1, unitsHeld)),
            rss_bytes_per_unit: (last.rss_mb - samples[0].rss_mb) * 1_048_576 / Double(max(1, unitsHeld)),
            residual_growth_mb: residualGrowth, residual_limit_mb: limit,
            hub_bytes_per_unit: Double(hubUsage.live) / Double(max(1, units)),
            hub_history_bytes_per_unit: Double(hubUsage.history) / Double(max(1, units)),
            most_queued_units: mostQueued, queued_limit: rate, unit_budget: budget, flat: flat)
        printLoad(result, fromSecond: from.second, toSecond: to.second)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        }
        if !converged { throw BenchFailure("load: peers did not converge (seed \(seed))") }
        if residualGrowth > limit {
            throw BenchFailure("load: the residual grew \(String(format: "%.1f", residualGrowth)) MB from second 5 to the end of the load, more than \(String(format: "%.1f", limit)) MB (seed \(seed))")
        }
        if mostQueued > rate {
            throw BenchFailure("load: a hub had \(mostQueued) units queued for its peers, more than one second of operations (\(rate)) (seed \(seed))")
        }
        if perUnit > budget {
            throw BenchFailure("load: the replicas cost \(String(format: "%.1f", perUnit)) bytes per unit held, over the budget of \(String(format: "%.0f", budget)) (seed \(seed))")
        }
    }

    func printLoad(_ r: LoadResult, fromSecond: Double, toSecond: Double) {
        func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }
        print("load          mix \(r.mix.rawValue), seed \(r.seed): 3 peers × \(r.ops_per_second_per_peer) ops/s for \(r.seconds) s: \(r.operations) ops, \(r.converged ? "converged" : "DID NOT CONVERGE") \(f(r.settle_ms)) ms after the last op")
        print("load          each hub's document: \(r.units) units, \(r.elements) elements (tombstones included), \(r.characters) characters; the six replicas hold \(r.units_held) units, \(r.elements_held) elements")
        print("load             s    RSS MB  replicas MB  (allocated)  residual MB   units (A)   queued units (A B C)   pending ops")
        for s in r.samples {
            print("load          " + [f(s.second, 1).leftPad(4), f(s.rss_mb).leftPad(9), f(s.accounted_mb).leftPad(12), ("(" + f(s.allocated_mb) + ")").leftPad(12),
                                      f(s.residual_mb).leftPad(12), String(s.units[0]).leftPad(11),
                                      s.queued_units.map(String.init).joined(separator: " ").leftPad(22),
                                      s.pending_operations.map(String.init).joined(separator: " ").leftPad(13)].joined(separator: " "))
        }
        let u = r.usage_end, held = Double(max(1, r.units_held))
        print("load          replicas' bytes per unit held: \(f(r.accounted_bytes_per_unit, 1)) (history \(f(Double(u.history) / held, 1)), element tables \(f(Double(u.elements) / held, 1)), span tree \(f(Double(u.tree) / held, 1)), pending \(f(Double(u.pending) / held, 1)); spare capacity \(f(Double(u.spare) / held, 1)) more); per element held \(f(r.accounted_bytes_per_element, 1)); RSS growth per unit held \(f(r.rss_bytes_per_unit, 1))")
        print("load          hub A's document alone: \(f(r.hub_bytes_per_unit, 1)) bytes per unit (history \(f(r.hub_history_bytes_per_unit, 1))): \(f(r.hub_bytes_per_unit * Double(r.units) / 1_048_576, 1)) MB for its \(r.units) units")
        print("load          flat: residual from \(f(fromSecond, 1)) s to \(f(toSecond, 1)) s grew \(f(r.residual_growth_mb, 1)) MB, bound \(f(r.residual_limit_mb, 1)) MB (\(f(residualLimitMb)) MB + 5% of the replicas' growth): \(r.residual_growth_mb <= r.residual_limit_mb ? "ok" : "EXCEEDED")")
        print("load          flat: most units queued at a hub \(r.most_queued_units), bound \(r.queued_limit) (one second of a peer's operations): \(r.most_queued_units <= r.queued_limit ? "ok" : "EXCEEDED")")
        print("load          flat: the documents cost \(f(r.accounted_bytes_per_unit, 1)) bytes per unit held, budget \(f(r.unit_budget)): \(r.accounted_bytes_per_unit <= r.unit_budget ? "ok" : "EXCEEDED")")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
