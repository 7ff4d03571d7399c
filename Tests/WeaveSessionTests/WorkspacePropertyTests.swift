import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport
import WeaveWorkspace
@testable import WeaveEditor
@testable import WeaveSession

/// Random work on a shared folder by two sessions over loopback — typing,
/// switching files, creating, renaming and deleting them, one side going
/// offline and back — then both folders on disk must be the same folder:
/// the same paths, each file with the same text on both sides.
@Suite(.serialized) struct WorkspacePropertyTests {
    typealias Side = WorkspaceSessionTests.Side

    static let pool = ["a.txt", "b.txt", "notes/c.md", "notes/d.md", "x/y/z.txt"]

    /// What the real loop does after each batch of events: apply them, then `beforeDraw` (the folder's sync).
    static func pump(_ sides: [Side], seconds: Double = 15, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for s in sides { for e in s.link.inbox.drain() { s.link.handle(e) }; s.link.beforeDraw() }
            if done() { return true }
            usleep(2000)
        }
        return false
    }

    /// Path → text of every live file on disk.
    static func disk(_ side: Side) -> [String: String] {
        var out: [String: String] = [:]
        for e in side.folder.state.files { out[e.path] = (try? String(contentsOfFile: side.folder.absolute(e.path), encoding: .utf8)) ?? "<missing>" }
        return out
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64]) func twoSessionsEndWithTheSameFolder(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        var g = SeededRandom(seed: seed)
        let dir = try TempDir()
        let shared = dir.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "start\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        let (alice, port) = try WorkspaceSessionTests.host(shared)
        defer { _ = try? alice.hub.shutdown() }
        let bob = try WorkspaceSessionTests.join(dir.path + "/mirror", port: port, open: nil)
        defer { _ = try? bob.hub.shutdown() }
        let sides = [alice, bob]
        var log: [String] = []
        for step in 0 ..< 120 {
            let i = g.int(0 ..< 2)
            let s = sides[i]
            let who = i == 0 ? "alice" : "bob"
            let files = s.folder.state.files.map(\.path)
            switch g.int(0 ..< 100) {
            case 0 ..< 35:
                if g.chance(0.3) { s.session.press(g.chance(0.5) ? .ctrlHome : .ctrlEnd) }
                let text = String(String.UnicodeScalarView(g.text(g.int(1 ... 4))))
                for c in text.unicodeScalars { s.session.press(c == "\n" ? .enter : .char(c)) }
                log.append("\(step) \(who) types \(text.debugDescription)")
            case 35 ..< 45:
                s.session.press(.backspace)
                log.append("\(step) \(who) backspace")
            case 45 ..< 60:
                if let p = files.randomElement(using: &g), let d = s.folder.state.document(at: p) {
                    try s.workspace.open(d)
                    log.append("\(step) \(who) opens \(p)")
                }
            case 60 ..< 72:
                let p = Self.pool[g.int(0 ..< Self.pool.count)]
                try s.workspace.create(p)
                log.append("\(step) \(who) creates \(p)")
            case 72 ..< 80:
                let to = Self.pool[g.int(0 ..< Self.pool.count)]
                if let from = files.randomElement(using: &g), s.folder.state.document(at: to) == nil {
                    try s.workspace.rename(from, to: to)
                    log.append("\(step) \(who) renames \(from) to \(to)")
                }
            case 80 ..< 86:
                if files.count > 1, let p = files.randomElement(using: &g) {
                    try s.workspace.delete(p)
                    log.append("\(step) \(who) deletes \(p)")
                }
            case 86 ..< 92:
                let on = !bob.link.online
                bob.link.setOnline(on)
                log.append("\(step) bob goes \(on ? "online" : "offline")")
            default:
                _ = Self.pump(sides, seconds: 0.05) { false }
            }
            _ = Self.pump(sides, seconds: 0.002) { false }
        }
        bob.link.setOnline(true)
        let same = Self.pump(sides, seconds: 20) {
            for s in sides where s.session.editor.modified { s.session.press(.ctrl("s")) }
            let a = Self.disk(alice), b = Self.disk(bob)
            return !a.isEmpty && a == b && !a.values.contains("<missing>")
        }
        func hubs(_ side: Side) -> [String: String] {
            var out: [String: String] = [:]
            for e in side.folder.state.files { out[e.path + " " + e.document.description] = (try? side.hub.withDocument(e.document) { d in d.map { "\($0.text.debugDescription) pending \($0.pendingCount) version \($0.version)" } }.wait()) ?? "<none>" }
            return out
        }
        func unitDiff() -> String {
            var out = ""
            for e in alice.folder.state.files {
                guard let a = try? alice.hub.withDocument(e.document, { $0 }).wait(), let b = try? bob.hub.withDocument(e.document, { $0 }).wait(),
                      a.text != b.text else { continue }
                func units(_ d: RGA) -> [String: String] {
                    var u: [String: String] = [:]
                    for op in d.operations(since: VersionVector()) {
                        for k in 0 ..< op.length { u["\(op.replica):\(op.seq + UInt32(k))"] = "\(op.body)".prefix(80) + " #\(k)" }
                    }
                    return u
                }
                let ua = units(a), ub = units(b)
                for k in ua.keys.sorted() where ua[k] != ub[k] { out += "\(e.path) \(k): alice \(ua[k]!) / bob \(ub[k] ?? "-")\n" }
            }
            return out
        }
        #expect(same, """
            \(unitDiff())
            seed \(seed)
            alice: \(Self.disk(alice))
            bob:   \(Self.disk(bob))
            alice's hub: \(hubs(alice))
            bob's hub:   \(hubs(bob))
            same manifests: \(alice.folder.manifest.doc.text == bob.folder.manifest.doc.text) (\(alice.folder.manifest.doc.count), \(bob.folder.manifest.doc.count))
            \(log.suffix(120).joined(separator: "\n"))
            """)
        // Each side's editors and histories agree with its disk.
        for s in sides {
            for e in s.folder.state.files {
                let onDisk = (try? String(contentsOfFile: s.folder.absolute(e.path), encoding: .utf8)) ?? "<missing>"
                let history = try OpLog.load(path: OpLog.sidecarPath(for: s.folder.absolute(e.path))).document(as: ReplicaID(1)).text
                #expect(history == onDisk, "seed \(seed): \(e.path)'s history and file differ")
            }
        }
    }
}
