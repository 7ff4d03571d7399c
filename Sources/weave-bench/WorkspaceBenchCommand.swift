import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import WeaveCore
import WeavePeer
import WeaveSession
import WeaveStore
import WeaveWorkspace

/// `weave-bench workspace`: joining a shared folder over loopback (release build).
struct BenchWorkspace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Measure joining a shared folder of many files over loopback.",
        discussion: """
        A host hub holds --files documents of --size bytes each (one insert of generated text \
        apiece, plus the folder's own state: one create record per file) and listens on \
        127.0.0.1 (TLS 1.3 with an invitation, as weave host; --plaintext without). A joiner \
        hub connects; "protocol" is from connect() until the joiner holds the file list and \
        every file (a documentCaughtUp per file), which is what the link costs. "mirror" \
        then does what weave join DIR/ does with that: it folds the file list and writes every \
        file into a new folder with its own history (.FILE.weave: header, the edit, a save mark) \
        and the file's text, made durable together by one syncfs at the end (the group commit \
        weave join uses). The target is protocol + mirror ≤ 2 s for 1,000 files of \
        10 KB. Run in release: swift run -c release weave-bench workspace
        """)

    @Option(help: "How many files.") var files = 1000
    @Option(help: "Bytes per file.") var size = 10 * 1024
    @Option(help: "Runs (the median is printed).") var runs = 3
    @Flag(help: "Plaintext links instead of TLS 1.3.") var plaintext = false
    @Flag(help: "Also print the figures as one JSON line.") var json = false
    @Flag(help: "Measure weave join DIR/ itself: the sessions' start-up path (WorkspaceStart.host and .join) on real folders, until every file is on the joiner's disk byte for byte.")
    var session = false

    func run() throws {
        if session { return try runSessions() }
        var protocolTimes: [Double] = [], mirrorTimes: [Double] = []
        for _ in 0 ..< runs {
            let (p, m) = try once()
            protocolTimes.append(p)
            mirrorTimes.append(m)
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let p = median(protocolTimes), m = median(mirrorTimes)
        let total = p + m
        print("workspace join: \(files) files of \(size) bytes (\(files * size / 1024) KiB), \(plaintext ? "plaintext" : "TLS 1.3"), median of \(runs)")
        print(String(format: "  protocol  %8.1f ms   (connect until every file is held)", p * 1000))
        print(String(format: "  mirror    %8.1f ms   (every file and its history written, then one syncfs)", m * 1000))
        print(String(format: "  total     %8.1f ms   target ≤ 2000 ms: %@", total * 1000, total <= 2 ? "met" : "NOT met"))
        if json {
            print("{\"bench\":\"workspace\",\"files\":\(files),\"size\":\(size),\"tls\":\(!plaintext),\"protocol_ms\":\(p * 1000),\"mirror_ms\":\(m * 1000),\"total_ms\":\(total * 1000)}")
        }
    }

    /// One join: (protocol seconds, mirror seconds).
    func once() throws -> (Double, Double) {
        var g = SplitMix64(seed: UInt64.random(in: 0 ... .max))
        let hostReplica = ReplicaID.random(), joinerReplica = ReplicaID.random()
        var manifest = RGA(replica: hostReplica)
        let state = FolderState()
        var docs: [(DocumentID, RGA)] = []
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz     \n".unicodeScalars)
        for i in 0 ..< files {
            let d = DocumentID.random(using: &g)
            let record = try state.create(path: "dir\(i % 20)/file\(i).txt", document: d, author: hostReplica)
            manifest.insert(record.line, at: manifest.count)
            var doc = RGA(replica: hostReplica)
            doc.insert((0 ..< size).map { _ in alphabet[Int.random(in: 0 ..< alphabet.count, using: &g)] }, at: 0)
            docs.append((d, doc))
        }
        let config = PeerHub.Configuration(name: "host", colour: 1)
        var hostConfig = config
        hostConfig.share = .folder(42)
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        var invitation: Invitation?
        if !plaintext {
            let identity = try PeerIdentity.generate()
            let inv = Invitation.make(for: identity)
            hostConfig.security = PeerSecurity(identity: identity, invitations: InvitationBook([inv]))
            invitation = inv
        }
        let host = PeerHub(document: manifest, configuration: hostConfig)
        defer { _ = try? host.shutdown() }
        for (d, doc) in docs { host.addDocument(d, doc) }
        let port = try host.listen(host: "127.0.0.1", port: 0).port!

        let events = NIOLockedValueBox<[PeerEvent]>([])
        var joinerConfig = PeerHub.Configuration(name: "joiner", colour: 2)
        joinerConfig.share = .folder(0)
        if !plaintext { joinerConfig.security = PeerSecurity(identity: try PeerIdentity.generate()) }
        let joiner = PeerHub(document: RGA(replica: joinerReplica), configuration: joinerConfig) { e in events.withLockedValue { $0.append(e) } }
        defer { _ = try? joiner.shutdown() }
        let start = Date()
        joiner.connect(host: "127.0.0.1", port: port, invitation: invitation)
        func wait(_ what: String, _ done: () -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while !done() {
                guard Date() < deadline else { throw BenchFailure("timed out waiting for \(what)") }
                usleep(200)
            }
        }
        try wait("the file list") { events.withLockedValue { $0.contains { if case .caughtUp = $0 { return true } else { return false } } } }
        let list = try joiner.snapshot()
        let joinedState = FolderState(text: list.text)
        for e in joinedState.files { joiner.addDocument(e.document, RGA(replica: joinerReplica)) }
        try wait("every file") {
            events.withLockedValue { $0.reduce(0) { n, e in if case .documentCaughtUp = e { return n + 1 } else { return n } } } >= files
        }
        let protocolTime = Date().timeIntervalSince(start)
        guard joinedState.files.count == files else { throw BenchFailure("the joiner has \(joinedState.files.count) files, not \(files)") }

        // The mirror: what weave join DIR/ writes.
        let mirrorStart = Date()
        let folder = try WorkspaceFolder(root: tmp.path + "/mirror", replica: joinerReplica, author: "joiner", colour: 2, workspaceID: 42)
        folder.deferSyncs()  // as weave join: one sync for the whole mirror
        _ = try folder.receiveManifest(list.operations(since: VersionVector()), marks: MarkTable())
        try folder.manifest.flush()
        var held: [DocumentID: [WeaveCore.Operation]] = [:]
        for e in events.withLockedValue({ $0 }) { if case .documentOperations(let d, let ops, _) = e { held[d, default: []] += ops } }
        for e in folder.state.files {
            let store = try folder.store(e.document)
            let ops = held[e.document] ?? []
            try store.doc.receive(contentsOf: ops)
            store.record(ops)
            try store.flush()
            folder.writeThrough(e.document, text: store.doc.text)
        }
        try folder.commit()
        let mirrorTime = Date().timeIntervalSince(mirrorStart)
        for (d, doc) in docs where try folder.store(d).doc.text != doc.text {
            throw BenchFailure("file \(d) differs after the join")
        }
        return (protocolTime, mirrorTime)
    }
}

extension BenchWorkspace {
    /// `--session`: the median of `runs` joins, each timed from the dial to
    /// the last file on the joiner's disk equal to the host's, byte for byte.
    func runSessions() throws {
        var times: [Double] = []
        for _ in 0 ..< runs { times.append(try sessionOnce()) }
        let t = times.sorted()[times.count / 2]
        print("workspace join, sessions (weave host DIR / weave join … DIR/ start-up, no terminal): \(files) files of \(size) bytes (\(files * size / 1024) KiB), \(plaintext ? "plaintext" : "TLS 1.3"), median of \(runs)")
        print(String(format: "  join      %8.1f ms   (dial until every file is on disk, byte for byte; runs: %@)", t * 1000,
                     times.map { String(format: "%.0f", $0 * 1000) }.joined(separator: ", ")))
        if json {
            print("{\"bench\":\"workspace-session\",\"files\":\(files),\"size\":\(size),\"tls\":\(!plaintext),\"join_ms\":\(t * 1000)}")
        }
    }

    /// One join through the real start-up path: seconds from the dial to the last byte.
    func sessionOnce() throws -> Double {
        var g = SplitMix64(seed: UInt64.random(in: 0 ... .max))
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let root = tmp.path + "/shared", mirror = tmp.path + "/mirror"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz     \n".utf8)
        var expected: [String: [UInt8]] = [:]
        for i in 0 ..< files {
            let path = "dir\(i % 20)/file\(i).txt"
            let bytes = (0 ..< size).map { _ in alphabet[Int.random(in: 0 ..< alphabet.count, using: &g)] }
            try FileManager.default.createDirectory(atPath: root + "/dir\(i % 20)", withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
            expected[path] = bytes
        }
        var hostConfig = PeerHub.Configuration(name: "host", colour: 1)
        var joinerConfig = PeerHub.Configuration(name: "joiner", colour: 2)
        var invitation: Invitation?
        if !plaintext {
            let identity = try PeerIdentity.generate()
            let inv = Invitation.make(for: identity)
            hostConfig.security = PeerSecurity(identity: identity, invitations: InvitationBook([inv]))
            joinerConfig.security = PeerSecurity(identity: try PeerIdentity.generate())
            invitation = inv
        }
        let host = try WorkspaceStart.host(root, name: "host", configuration: hostConfig, open: nil)
        defer { _ = try? host.hub.shutdown() }
        host.link.attach()
        let port = try host.hub.listen(host: "127.0.0.1", port: 0).port!
        let start = Date()
        let joiner = try WorkspaceStart.join(mirror, host: "127.0.0.1", port: port, name: "joiner", configuration: joinerConfig,
                                             invitation: invitation, open: nil, seconds: 60)
        defer { _ = try? joiner.hub.shutdown() }
        joiner.link.attach(replaying: joiner.early)
        // As the session's loop does: apply what came, then write (beforeDraw), until every file is on disk.
        var left = Set(expected.keys)
        let deadline = Date().addingTimeInterval(120)
        while !left.isEmpty {
            guard Date() < deadline else { throw BenchFailure("after 120 s, \(left.count) files still differ on the joiner's disk") }
            for e in joiner.inbox.drain() { joiner.link.handle(e) }
            joiner.link.beforeDraw()
            for e in host.inbox.drain() { host.link.handle(e) }
            left = left.filter { p in FileManager.default.contents(atPath: mirror + "/" + p).map { Array($0) != expected[p]! } ?? true }
            if !left.isEmpty { usleep(500) }
        }
        return Date().timeIntervalSince(start)
    }
}

/// A folder under the system's temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        var template = Array((NSTemporaryDirectory() + "/weave-bench-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw BenchFailure("cannot make a temporary folder") }
        path = String(cString: p)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
