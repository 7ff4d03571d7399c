import Foundation
import NIOCore
import Testing
import WeaveCore
@testable import WeavePeer

/// Plaintext vs TLS: joining a large history and one edit's peer-to-peer latency
/// over loopback. Runs only with WEAVE_BENCH=1 (in release for real figures):
///   WEAVE_BENCH=1 swift test -c release --filter TLSBenchmarkTests
@Suite(.serialized) struct TLSBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["WEAVE_BENCH"] == "1"

    /// A history like automerge-paper's: `n` single-character edits, mostly typing, some deletes.
    static func history(_ n: Int) -> RGA {
        var g = SeededRandom(seed: 7)
        var doc = RGA(replica: ReplicaID(0x71))
        var cursor = 0
        for _ in 0..<n {
            if doc.count > 0 && g.chance(0.1) {
                cursor = min(cursor, doc.count - 1)
                _ = doc.delete(at: cursor, length: 1)
            } else {
                if g.chance(0.02) { cursor = g.int(0 ..< doc.count + 1) }
                _ = doc.insert(g.text(1), at: cursor)
                cursor += 1
            }
        }
        return doc
    }

    struct Run { var join: Double; var latencies: [Double] }

    static func run(_ doc: RGA, tls: Bool, edits: Int) throws -> Run {
        let hostID = try PeerIdentity.generate(), joinerID = try PeerIdentity.generate()
        let invitation = Invitation.make(for: hostID)
        var hc = PeerHub.Configuration(name: "host")
        var jc = PeerHub.Configuration(name: "joiner")
        if tls {
            hc.security = PeerSecurity(identity: hostID, invitations: InvitationBook([invitation]))
            jc.security = PeerSecurity(identity: joinerID)
        }
        let hostEvents = EventLog(), joinerEvents = EventLog()
        let host = PeerHub(document: doc, configuration: hc, onEvent: hostEvents.post)
        defer { _ = try? host.shutdown() }
        let port = try host.listen().port!
        let joiner = PeerHub(document: RGA(replica: ReplicaID(0x72)), configuration: jc, onEvent: joinerEvents.post)
        defer { _ = try? joiner.shutdown() }
        let start = NIODeadline.now()
        joiner.connect(host: "127.0.0.1", port: port, invitation: tls ? invitation : nil)
        guard try eventually(120, { joinerEvents.all.contains { if case .caughtUp = $0 { return true } else { return false } } }) else {
            throw PeerError.io("join did not finish")
        }
        let join = Double((NIODeadline.now() - start).nanoseconds) / 1e6
        #expect(try joiner.snapshot().text == doc.text)
        var latencies: [Double] = []
        var editor = try host.snapshot()
        for i in 0..<edits {
            _ = joinerEvents.take()
            let t0 = NIODeadline.now()
            host.submit(editor.insert("x", at: i % max(1, editor.count))!)
            while !joinerEvents.take().contains(where: { if case .remoteOperations = $0 { return true } else { return false } }) {
                if NIODeadline.now() - t0 > .seconds(5) { throw PeerError.io("edit \(i) never arrived") }
            }
            latencies.append(Double((NIODeadline.now() - t0).nanoseconds) / 1e6)
        }
        return Run(join: join, latencies: latencies.sorted())
    }

    @Test(.enabled(if: TLSBenchmarkTests.enabled)) func plaintextVersusTLS() throws {
        let units = ProcessInfo.processInfo.environment["WEAVE_BENCH_UNITS"].flatMap { Int($0) } ?? 260_000
        let doc = Self.history(units)
        print("history: \(doc.version.total) units, \(doc.log.count) log entries, \(doc.count) characters")
        var results: [Bool: [Run]] = [:]
        for round in 0..<3 {
            for tls in [false, true] {
                let r = try Self.run(doc, tls: tls, edits: 500)
                results[tls, default: []].append(r)
                print(String(format: "round %d %@: join %.1f ms, edit latency median %.3f ms, p99 %.3f ms",
                             round + 1, tls ? "TLS      " : "plaintext", r.join, r.latencies[r.latencies.count / 2],
                             r.latencies[r.latencies.count * 99 / 100]))
            }
        }
        let best = { (tls: Bool) in results[tls]!.map(\.join).min()! }
        let med = { (tls: Bool) in results[tls]!.map { $0.latencies[$0.latencies.count / 2] }.sorted()[1] }
        print(String(format: "best join: plaintext %.1f ms, TLS %.1f ms (×%.2f); median edit latency: plaintext %.3f ms, TLS %.3f ms",
                     best(false), best(true), best(true) / best(false), med(false), med(true)))
    }
}
