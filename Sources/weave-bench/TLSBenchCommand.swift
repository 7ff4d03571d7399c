import ArgumentParser
import Foundation
import WeaveCore
import WeavePeer
import WeaveTrace

/// `weave-bench tls`: what TLS and invitations cost a user (release build).
struct BenchTLS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Measure joining and edit latency over loopback, plaintext against TLS 1.3 with an invitation.",
        discussion: """
        join: a hub holding automerge-paper's full history (--trace, else WEAVE_TRACES or \
        ../shared/traces) and a joiner with an empty document, from connect() until the joiner \
        has every operation (caughtUp) — with TLS that includes both identities' handshake, the \
        pinned fingerprint check and the invitation proof. latency: one single-character insert \
        submitted on the host until the joiner's hub reports it, --edits times. --rounds rounds \
        alternate plaintext and TLS; the best join and the median of the round medians are \
        compared with the targets (TLS join ≤ 1.2 × plaintext, TLS median edit ≤ 2 ms); the exit \
        status is non-zero when one is missed. Run in release: swift run -c release weave-bench tls
        """)

    @Option(help: "The automerge-paper trace (.json or .json.gz).")
    var trace: String?

    @Option(help: "Edits for the latency measurement, per round.")
    var edits = 500

    @Option(help: "Rounds (each one plaintext and one TLS).")
    var rounds = 5

    @Flag(help: "Also print one JSON object.")
    var json = false

    struct Round { var join: Double; var median: Double; var p99: Double }

    struct Report: Encodable {
        var trace: String
        var operations: Int
        var units: Int
        var characters: Int
        var join_ms_plaintext: Double
        var join_ms_tls: Double
        var join_ratio: Double
        var edit_median_ms_plaintext: Double
        var edit_median_ms_tls: Double
        var edit_p99_ms_tls: Double
        var edits_per_round: Int
        var rounds: Int
    }

    func run() throws {
        guard let path = automergePaperTrace(trace) else {
            throw BenchFailure("weave-bench tls needs automerge-paper.json.gz: --trace FILE, WEAVE_TRACES, or ../shared/traces")
        }
        let doc = try EditingTrace.load(path: path).replay()
        print("history       \(doc.log.count) operations carrying \(doc.version.total) units, \(doc.count) characters (\(path.split(separator: "/").last ?? ""))")
        var results: [Bool: [Round]] = [:]
        for round in 0 ..< rounds {
            for tls in [false, true] {
                let r = try measure(doc, tls: tls)
                results[tls, default: []].append(r)
                print(String(format: "round %d %@ join %6.1f ms   edit median %.3f ms  p99 %.3f ms",
                             round + 1, tls ? "TLS      " : "plaintext", r.join, r.median, r.p99))
            }
        }
        let bestJoin = { (tls: Bool) in results[tls]!.map(\.join).min()! }
        let medianOf = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
        let report = Report(
            trace: String(path.split(separator: "/").last ?? ""), operations: doc.log.count, units: doc.version.total,
            characters: doc.count, join_ms_plaintext: bestJoin(false), join_ms_tls: bestJoin(true),
            join_ratio: bestJoin(true) / bestJoin(false),
            edit_median_ms_plaintext: medianOf(results[false]!.map(\.median)),
            edit_median_ms_tls: medianOf(results[true]!.map(\.median)),
            edit_p99_ms_tls: medianOf(results[true]!.map(\.p99)), edits_per_round: edits, rounds: rounds)
        print(String(format: "join          best of %d: plaintext %.1f ms, TLS %.1f ms: × %.2f (target ≤ 1.20)",
                     rounds, report.join_ms_plaintext, report.join_ms_tls, report.join_ratio))
        print(String(format: "edit latency  median of round medians: plaintext %.3f ms, TLS %.3f ms (target ≤ 2 ms); TLS p99 %.3f ms",
                     report.edit_median_ms_plaintext, report.edit_median_ms_tls, report.edit_p99_ms_tls))
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        }
        if report.join_ratio > 1.2 || report.edit_median_ms_tls > 2 {
            throw BenchFailure("tls: a target was missed (join × \(report.join_ratio), edit median \(report.edit_median_ms_tls) ms)")
        }
    }

    /// One join and `edits` edits, over a fresh pair of hubs.
    func measure(_ doc: RGA, tls: Bool) throws -> Round {
        var hc = PeerHub.Configuration(name: "host"), jc = PeerHub.Configuration(name: "joiner")
        var invitation: Invitation?
        if tls {
            let hostID = try PeerIdentity.generate(), joinerID = try PeerIdentity.generate()
            let inv = Invitation.make(for: hostID)
            hc.security = PeerSecurity(identity: hostID, invitations: InvitationBook([inv]))
            jc.security = PeerSecurity(identity: joinerID)
            invitation = inv
        }
        let host = PeerHub(document: doc, configuration: hc)
        defer { _ = try? host.shutdown() }
        let port = try host.listen(host: "127.0.0.1", port: 0).port!
        let inbox = try PeerInbox()
        let joiner = PeerHub(document: RGA(replica: .random()), configuration: jc, onEvent: inbox.post)
        defer { _ = try? joiner.shutdown() }
        let start = ContinuousClock.now
        joiner.connect(host: "127.0.0.1", port: port, invitation: invitation)
        guard wait(inbox, seconds: 60, until: { if case .caughtUp = $0 { return true } else { return false } }) else {
            throw BenchFailure("tls: the joiner did not catch up within 60 s (tls: \(tls))")
        }
        let join = (ContinuousClock.now - start).benchMilliseconds
        guard try joiner.snapshot().text == doc.text else { throw BenchFailure("tls: the joiner's text differs") }
        var mirror = try host.snapshot()
        var samples: [Double] = []
        for i in 0 ..< edits + 20 {
            let op = mirror.insert([Unicode.Scalar(UInt8(97 + i % 26))], at: (i * 7919) % max(1, mirror.count))!
            let t0 = ContinuousClock.now
            host.submit(op)
            guard wait(inbox, seconds: 5, until: { if case .remoteOperations = $0 { return true } else { return false } }) else {
                throw BenchFailure("tls: edit \(i) never arrived")
            }
            if i >= 20 { samples.append((ContinuousClock.now - t0).benchMilliseconds) }  // 20 warm-up edits
        }
        samples.sort()
        return Round(join: join, median: samples[samples.count / 2], p99: samples[min(samples.count - 1, samples.count * 99 / 100)])
    }

    /// Polls the inbox until an event matches (bounded).
    func wait(_ inbox: PeerInbox, seconds: Double, until match: (PeerEvent) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            if inbox.drain().contains(where: match) { return true }
        }
        return false
    }
}

extension Swift.Duration {
    var benchMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
