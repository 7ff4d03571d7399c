#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import WeaveCore
import WeavePeer

/// `weave status HOST:PORT --invite TOKEN` (issue 35): joins a session as a
/// headless peer without a cursor, takes the document, and says what it found
/// — who hosts it, who is there, the document's size and version — then
/// leaves. A health check a script can run: it ends in at most `seconds`.
///
/// The probe is a peer like any other while it looks (the host's log and
/// message line see it join and leave as "weave status"); it edits nothing.
public enum StatusProbe {
    /// Connects, waits for the catch-up and the presences that come with it,
    /// and returns the report's lines. Throws `JoinError` (nothing listening,
    /// not a Weave host, refused, no answer in time, a slow link).
    public static func run(host: String, port: Int, invitation: Invitation?, seconds: Double) throws(JoinError) -> [String] {
        do {
            return try probe(host: host, port: port, invitation: invitation, share: .file, seconds: seconds)
        } catch .refused(let why) where why.contains("shares a folder") {
            // A shared folder: its main document is the folder's file list.
            return try probe(host: host, port: port, invitation: invitation, share: .folder(0), seconds: seconds)
        }
    }

    private static func probe(host: String, port: Int, invitation: Invitation?, share: Greeting.Share,
                              seconds: Double) throws(JoinError) -> [String] {
        let started = EditorSession.now()
        var config = PeerHub.Configuration(name: "weave status", colour: 0)
        config.showsCursor = false
        config.share = share
        let events = NIOLockedValueBox<[PeerEvent]>([])
        let hub = PeerHub(document: RGA(replica: .random()), configuration: config, onEvent: { e in events.withLockedValue { $0.append(e) } })
        defer { _ = try? hub.shutdown(saying: "status checked") }
        hub.connect(host: host, port: port, invitation: invitation)
        let address = "\(host):\(port)"
        let deadline = started + UInt64(max(0.1, min(seconds, 1e6)) * 1e9)
        var hostInfo: PeerInfo?
        var caughtUpAt: UInt64?
        var lastError = "no answer"
        var slow = false
        // Until the catch-up, then 200 ms more for presences that came after it.
        while caughtUpAt.map({ EditorSession.now() < $0 + 200_000_000 }) ?? true {
            guard EditorSession.now() < deadline else {
                if caughtUpAt != nil { break }
                throw slow ? .slowLink(lastError) : .noAnswer(lastError)
            }
            usleep(10_000)
            for e in events.withLockedValue({ e in defer { e.removeAll() }; return e }) {
                switch e {
                case .peerJoined(let info): hostInfo = info
                case .caughtUp: caughtUpAt = caughtUpAt ?? EditorSession.now()
                case .retrying(_, _, let reason):
                    if case .connectionRefused = reason { throw .nothingListening(address: address) }
                    if case .unauthorized(.notWeaveHost) = reason { throw .notWeaveHost(address: address) }
                    if case .refused(let r) = reason, r.code == .otherShare { throw .refused(r.text) }
                    if case .slowLink = reason { slow = true }
                    lastError = "\(reason)"
                case .linkFailed(_, let reason):
                    throw .refused("\(reason)")
                case .awaitingApproval:
                    throw .refused("the host asks its user before letting a new key in (weave host --approve): no status without that")
                default:
                    break
                }
            }
        }
        let took = Double((caughtUpAt ?? EditorSession.now()) - started) / 1e9
        let doc: RGA, stats: HubStats, presences: [Presence]
        do {
            doc = try hub.snapshot()
            stats = try hub.currentStats()
            presences = try hub.presences().wait()
        } catch {
            throw .noAnswer("\(error)")
        }
        let link = stats.peers.first { $0.state == .connected }
        var lines: [String] = []
        let rtt = link?.rtt.map { " (round trip \(PeerStatusText.milliseconds($0)))" } ?? ""
        lines.append("\(address): reachable, document received in \(PeerStatusText.seconds(took))\(rtt)")
        if let h = hostInfo {
            lines.append("host: \(h.name.isEmpty ? "?" : h.name)\(h.readOnly ? " (read-only invitation)" : "")"
                         + (h.fingerprint.map { ", key \($0.prefix(16))" } ?? ""))
        }
        if case .folder = share {
            lines.append("shares: a folder (its file list holds \(doc.version.total) units)")
        } else {
            lines.append("document: \(doc.count) characters, \(doc.version.total) units from \(doc.version.counts.count) replicas")
        }
        let versions = doc.version.counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
        lines.append("version: \(versions.isEmpty ? "(empty)" : versions.joined(separator: " "))")
        let others = presences.filter { !$0.departed && $0.replica != hub.replica }.sorted { ($0.name, $0.replica) < ($1.name, $1.replica) }
        lines.append("peers present: \(others.count)" + (others.isEmpty ? "" : ": " + others.map { $0.name.isEmpty ? "?" : $0.name }.joined(separator: ", ")))
        return lines
    }
}

/// Times as `weave status` prints them: rounded.
enum PeerStatusText {
    static func seconds(_ s: Double) -> String { s < 10 ? "\(PeerError.rounded(s)) s" : "\(Int(s.rounded())) s" }
    static func milliseconds(_ t: TimeAmount) -> String {
        let ms = Double(t.nanoseconds) / 1e6
        return ms < 10 ? "\((ms * 10).rounded() / 10) ms" : "\(Int(ms.rounded())) ms"
    }
}
