import ArgumentParser
import Foundation
import WeaveCore
import WeaveEditor
import WeavePeer
import WeaveTrace

/// `weave bench-peers`: peers over loopback TCP (release build).
struct BenchPeers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-peers",
        abstract: "Measure joining, edit latency and sustained load between peers over loopback.",
        discussion: """
        join: a hub holding automerge-paper's full history (--trace, else WEAVE_TRACES or \
        ../shared/traces) and a joiner with an empty document: from connect() until the joiner \
        has every operation (caughtUp) and has built its editor on the document and rendered \
        the first screen — what weave join does before its UI starts. \
        latency: one single-character insert submitted on one hub until the other hub's \
        event has been taken from its inbox and applied to an Editor, --edits times (median, p99). \
        load: three peers (B and C joined to A) each submitting 10,000 operations per second \
        (batches of 100 every 10 ms) for --seconds, then waiting until all three documents \
        are equal; RSS sampled every second. Run in release: swift run -c release weave bench-peers
        """)

    @Option(help: "The automerge-paper trace (.json or .json.gz).")
    var trace: String?

    @Option(help: "Edits for the latency measurement.")
    var edits = 1000

    @Option(help: "Seconds of the three-peer load (0 skips it).")
    var seconds = 5

    @Option(help: "Operations per second per peer in the load.")
    var rate = 10_000

    @Option(help: "Which measurements, comma-separated: join, latency, load.")
    var parts = "join,latency,load"

    func run() throws {
        let want = Set(parts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        if want.contains("join") { try benchJoin() }
        if want.contains("latency") { try benchLatency() }
        if want.contains("load"), seconds > 0 { try benchLoad() }
    }

    func tracePath() -> String? {
        if let trace { return trace }
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["WEAVE_TRACES"] { dirs.append(env) }
        dirs += ["../shared/traces", "/work/shared/traces"]
        for d in dirs {
            for name in ["automerge-paper.json.gz", "automerge-paper.json"] {
                let p = d + "/" + name
                if FileManager.default.fileExists(atPath: p) { return p }
            }
        }
        return nil
    }

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
            guard caughtUp, shared.text == doc.text else { throw ValidationFailure("join: the joiner did not get the document") }
            print("join          round \(round + 1): \(String(format: "%.0f", total.ms)) ms to the first screen (\(String(format: "%.0f", received.ms)) ms to caughtUp; \(ops) ops carrying \(doc.version.total) units, \(doc.count) characters)")
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
        guard joined else { throw ValidationFailure("latency: no link") }
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
            guard got else { throw ValidationFailure("latency: edit \(i) never arrived") }
            if i >= 50 { samples.append((ContinuousClock.now - start).ms) }  // 50 warm-up edits
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        print("latency       median \(String(format: "%.3f", p50)) ms, p99 \(String(format: "%.3f", p99)) ms, max \(String(format: "%.3f", samples.last!)) ms over \(samples.count) edits (submit on A → applied to B's Editor)")
    }

    // MARK: load

    func benchLoad() throws {
        var mirrors = (0 ..< 3).map { _ in RGA(replica: .random()) }
        let hubs = mirrors.enumerated().map { i, m in PeerHub(document: m, configuration: .init(name: "p\(i)", colour: UInt8(i))) }
        defer { for h in hubs { _ = try? h.shutdown() } }
        let port = try hubs[0].listen(host: "127.0.0.1", port: 0).port!
        hubs[1].connect(host: "127.0.0.1", port: port)
        hubs[2].connect(host: "127.0.0.1", port: port)
        Thread.sleep(forTimeInterval: 0.3)
        let perTick = max(1, rate / 100)
        let start = ContinuousClock.now
        var next = start
        var sent = 0
        var rss: [Int] = [Self.rssKB()]
        var unitSamples: [Int] = [0]
        var nextSample = start + .seconds(1)
        var rng = SystemRandomNumberGenerator()
        while ContinuousClock.now - start < .seconds(seconds) {
            for p in 0 ..< 3 {
                var batch: [WeaveCore.Operation] = []
                batch.reserveCapacity(perTick)
                for k in 0 ..< perTick {
                    let n = mirrors[p].count
                    if k % 4 == 3, n > 0, let op = mirrors[p].delete(at: Int.random(in: 0 ..< n, using: &rng), length: 1) {
                        batch.append(op)
                    } else if let op = mirrors[p].insert([Unicode.Scalar(UInt8(97 + k % 26))], at: Int.random(in: 0 ... n, using: &rng)) {
                        batch.append(op)
                    }
                }
                hubs[p].submit(batch)
                sent += batch.count
            }
            if ContinuousClock.now >= nextSample {
                rss.append(Self.rssKB())
                unitSamples.append((try? hubs[0].withDocument { $0.version.total }.wait()) ?? 0)
                nextSample += .seconds(1)
            }
            next += .milliseconds(10)
            let wait = next - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds)) }
        }
        let produced = ContinuousClock.now - start
        // Converge: all three documents equal (bounded).
        let deadline = ContinuousClock.now + .seconds(60)
        var converged = false
        var units: [Int] = []
        while ContinuousClock.now < deadline {
            let versions = try hubs.map { try $0.withDocument { $0.version }.wait() }
            units = versions.map(\.total)
            if versions.allSatisfy({ $0 == versions[0] }) { converged = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let settle = ContinuousClock.now - start - produced
        let texts = try hubs.map { try $0.snapshot().text }
        converged = converged && texts.allSatisfy { $0 == texts[0] }
        rss.append(Self.rssKB())
        let achieved = Double(sent) / 3 / (Double(produced.components.seconds) + Double(produced.components.attoseconds) / 1e18)
        print("load          3 peers × \(Int(achieved)) ops/s for \(seconds) s: \(sent) ops, \(converged ? "converged" : "DID NOT CONVERGE") \(String(format: "%.0f", settle.ms)) ms after the last op; \(units.first ?? 0) units, \(texts.first?.unicodeScalars.count ?? 0) characters")
        print("load          RSS (MB, each second, whole process: 3 hubs + 3 mirrors): " + rss.map { String(format: "%.0f", Double($0) / 1024) }.joined(separator: " "))
        print("load          units in A's document at those samples (k): " + unitSamples.map { String($0 / 1000) }.joined(separator: " ")
              + "; RSS growth per unit held by the six replicas: "
              + String(format: "%.0f", Double(rss[rss.count - 1] - rss[0]) * 1024 / Double(max(1, (units.first ?? 1) * 6))) + " bytes")
        if !converged { throw ValidationFailure("load: peers did not converge") }
    }

    static func rssKB() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ")[1]) ?? 0
        }
        return 0
    }
}
