import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport
import WeaveWorkspace
@testable import WeaveEditor
@testable import WeaveSession

/// A shared folder between two sessions over real loopback sockets (no
/// terminal), wired by the same steps as `weave host DIR` and `weave join … DIR/`.
@Suite(.serialized) struct WorkspaceSessionTests {
    struct Side {
        let folder: WorkspaceFolder
        let session: EditorSession
        let link: PeerLink
        let workspace: WorkspaceSession
        var hub: PeerHub { link.hub }
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// `weave host DIR`'s start-up (`WorkspaceStart.host`), without TLS, listening on a free loopback port.
    static func host(_ root: String, name: String = "alice", open: String? = nil) throws -> (Side, port: Int) {
        let parts = try WorkspaceStart.host(root, name: name, configuration: PeerHub.Configuration(name: name, colour: 0),
                                            workspaceID: 0x5EED, open: open)
        parts.link.attach()
        let port = try parts.hub.listen(host: "127.0.0.1", port: 0).port!
        return (Side(folder: parts.folder, session: parts.session, link: parts.link, workspace: parts.workspace), port)
    }

    /// `weave join … DIR/`'s start-up (`WorkspaceStart.join`), without TLS.
    static func join(_ root: String, port: Int, open: String?, name: String = "bob") throws -> Side {
        let parts = try WorkspaceStart.join(root, host: "127.0.0.1", port: port, name: name,
                                            configuration: PeerHub.Configuration(name: name, colour: 1),
                                            invitation: nil, open: open, seconds: 10)
        parts.link.attach(replaying: parts.early)
        return Side(folder: parts.folder, session: parts.session, link: parts.link, workspace: parts.workspace)
    }

    /// A shared folder of `files` (path → text) hosted by alice, and bob's
    /// mirror of it showing `bobOpens`; shut both hubs down with `shutdown`.
    static func pair(_ dir: TempDir, files: [String: String], aliceOpens: String? = nil, bobOpens: String?) throws -> (alice: Side, bob: Side) {
        let shared = dir.path + "/shared"
        for (path, text) in files {
            let file = shared + "/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let (alice, port) = try host(shared, open: aliceOpens)
        do {
            return (alice, try join(dir.path + "/mirror/", port: port, open: bobOpens))
        } catch {
            _ = try? alice.hub.shutdown()
            throw error
        }
    }

    static func shutdown(_ sides: Side...) { for s in sides { _ = try? s.hub.shutdown() } }

    func type(_ s: String, into side: Side) {
        for c in s.unicodeScalars { side.session.press(.char(c)) }
    }

    @Test func aJoinerMirrorsTheFolderAndEveryChangeReachesTheHost() throws {
        let dir = try TempDir()
        let shared = dir.path + "/shared", mirror = dir.path + "/mirror"
        try FileManager.default.createDirectory(atPath: shared + "/sub", withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try "bravo\n".write(toFile: shared + "/sub/b.txt", atomically: true, encoding: .utf8)
        try [0, 1, 2, 0].withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: shared + "/image.bin")) }
        let (alice, port) = try Self.host(shared)
        defer { _ = try? alice.hub.shutdown() }
        #expect(alice.folder.state.files.map(\.path) == ["a.txt", "sub/b.txt"], "the binary file is not shared")
        #expect(alice.session.editor.text == "alpha\n")

        let bob = try Self.join(mirror + "/", port: port, open: "sub/b.txt")
        defer { _ = try? bob.hub.shutdown() }
        #expect(bob.session.editor.text == "bravo\n")
        #expect(!bob.session.editor.modified, "the file shown is on disk too")
        #expect(Self.read(mirror + "/sub/b.txt") == "bravo\n")
        #expect(bob.folder.workspaceID == 0x5EED)
        // The folder's own history names its author on the joiner's disk (no later change needed to write it).
        let folderHistory = try OpLog.load(path: mirror + "/.weave/.folder.txt.weave")
        #expect(folderHistory.history.authors.values.contains { $0.name == "alice" })
        let links = [alice.link, bob.link]
        #expect(pumpLinks(links) { Self.read(mirror + "/a.txt") == "alpha\n" }, "every file is mirrored")
        #expect(FileManager.default.fileExists(atPath: mirror + "/.a.txt.weave"))
        // The folder's state is readable on both sides: one record per line.
        for root in [shared, mirror] {
            let records = (Self.read(root + "/.weave/folder.txt") ?? "").split(separator: "\n")
            #expect(records.count == 2 && records.allSatisfy { $0.hasPrefix("create ") }, "\(root): \(records)")
        }

        // Bob types into sub/b.txt, which alice is not showing: her history and her file get it.
        type("hi ", into: bob)
        #expect(pumpLinks(links) { Self.read(shared + "/sub/b.txt") == "hi bravo\n" })
        let loaded = try OpLog.load(path: shared + "/sub/.b.txt.weave")
        #expect(try loaded.document(as: ReplicaID(1)).text == "hi bravo\n")
        #expect(loaded.history.authors.values.contains { $0.name == "bob" }, "the history names bob")
        // Alice's file list shows bob in sub/b.txt.
        #expect(pumpLinks(links) {
            alice.session.editor.workspaceFiles?.first { $0.path == "sub/b.txt" }?.peers.map(\.name) == ["bob"]
        })

        // Bob's peer list says which file alice is in.
        bob.session.press(.function(4))
        #expect(pumpLinks(links) { bob.link.makeList().rows.first?.file == "a.txt" })
        bob.session.press(.escape)

        // Alice opens sub/b.txt: bob's typing is there; her a.txt keeps its cursor when she comes back.
        alice.session.press(.ctrlEnd)
        try alice.workspace.open(try #require(alice.folder.state.document(at: "sub/b.txt")))
        #expect(alice.session.editor.text == "hi bravo\n")
        #expect(alice.session.editor.fileName == "b.txt")
        try alice.workspace.open(try #require(alice.folder.state.document(at: "a.txt")))
        #expect(alice.session.editor.cursor == 6, "a.txt's cursor is where alice left it")

        // Create, rename and delete from bob's side reach alice's folder.
        try bob.workspace.create("notes/new.txt")
        type("new", into: bob)
        #expect(bob.session.editor.fileName == "new.txt")
        #expect(pumpLinks(links) { alice.folder.state.document(at: "notes/new.txt") != nil && Self.read(shared + "/notes/new.txt") == "new" })
        try bob.workspace.rename("a.txt", to: "renamed.txt")
        #expect(pumpLinks(links) { Self.read(shared + "/renamed.txt") == "alpha\n" && Self.read(shared + "/a.txt") == nil })
        #expect(alice.session.editor.fileName == "renamed.txt", "alice was showing a.txt: it is renamed under her")
        #expect(FileManager.default.fileExists(atPath: shared + "/.renamed.txt.weave"), "the history moved with it")
        try bob.workspace.delete("renamed.txt")
        #expect(pumpLinks(links) { Self.read(shared + "/renamed.txt") == nil })
        #expect(alice.session.editor.fileName != "renamed.txt", "alice was moved off the deleted file")
        #expect(FileManager.default.fileExists(atPath: shared + "/.renamed.txt.weave"), "a deleted file's history stays")
        // Creating the path again restores the file with its history.
        try alice.workspace.create("renamed.txt")
        #expect(alice.session.editor.text == "alpha\n")
        #expect(pumpLinks(links) { Self.read(mirror + "/renamed.txt") == "alpha\n" })
    }

    /// Offline on both sides, each creates the same path and writes in it, and
    /// edits a shared file: on reconnect both files are kept (one as "NAME (2)")
    /// and the shared file merges.
    @Test func offlineWorkOnSeveralFilesMergesPerFile() throws {
        let dir = try TempDir()
        let shared = dir.path + "/shared", mirror = dir.path + "/mirror"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "one\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        let (alice, port) = try Self.host(shared)
        defer { _ = try? alice.hub.shutdown() }
        let bob = try Self.join(mirror, port: port, open: nil)
        defer { _ = try? bob.hub.shutdown() }
        let links = [alice.link, bob.link]
        #expect(pumpLinks(links) { !alice.link.connected.isEmpty && !bob.link.connected.isEmpty })
        bob.link.setOnline(false)
        #expect(pumpLinks(links) { alice.link.connected.isEmpty })
        type("alice ", into: alice)
        type("bob ", into: bob)
        try alice.workspace.create("same.txt")
        type("from alice", into: alice)
        try bob.workspace.create("same.txt")
        type("from bob", into: bob)
        bob.link.setOnline(true)
        func texts(_ side: Side) -> [String: String] {
            var out: [String: String] = [:]
            for e in side.folder.state.files { out[e.path] = Self.read(side.folder.absolute(e.path)) ?? "?" }
            return out
        }
        // The files shown are saved on switching; save both now so the disk tells all.
        #expect(pumpLinks(links) {
            alice.folder.state.files.count == 3 && bob.folder.state.files.count == 3
        })
        for side in [alice, bob] { side.session.press(.ctrl("s")) }
        try alice.workspace.open(try #require(alice.folder.state.document(at: "a.txt")))
        try bob.workspace.open(try #require(bob.folder.state.document(at: "a.txt")))
        #expect(pumpLinks(links, seconds: 15) {
            // The file shown is written by Ctrl-S (the others as peers' edits arrive).
            for side in [alice, bob] where side.session.editor.modified { side.session.press(.ctrl("s")) }
            let a = texts(alice), b = texts(bob)
            return a == b && Set(a.keys) == ["a.txt", "same.txt", "same (2).txt"]
                && Set([a["same.txt"], a["same (2).txt"]]) == ["from alice", "from bob"]
                && (a["a.txt"] == "alice bob one\n" || a["a.txt"] == "bob alice one\n")
        }, "alice: \(texts(alice)) bob: \(texts(bob))")
    }

    /// An empty folder shows no file: typing is refused with a hint, and the
    /// file list's Ctrl-N creates the first file, on disk and for the joiner.
    @Test func anEmptyFolderStartsWithTheFileList() throws {
        let dir = try TempDir()
        let shared = dir.path + "/empty"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        let (alice, port) = try Self.host(shared)
        defer { _ = try? alice.hub.shutdown() }
        #expect(alice.workspace.current == nil)
        type("lost", into: alice)
        #expect(alice.session.editor.text == "")
        #expect(alice.session.editor.message?.contains("Ctrl-N") == true)
        alice.session.press(.ctrl("b"))
        type("first.txt", into: alice)
        alice.session.press(.ctrl("n"))
        #expect(alice.session.editor.fileName == "first.txt")
        type("kept", into: alice)
        alice.session.press(.ctrl("s"))
        #expect(Self.read(shared + "/first.txt") == "kept")
        let bob = try Self.join(dir.path + "/mirror", port: port, open: nil)
        defer { _ = try? bob.hub.shutdown() }
        #expect(bob.session.editor.text == "kept")
        #expect(Self.read(dir.path + "/mirror/first.txt") == "kept")
    }

    /// `weave serve DIR`: two joiners that reach each other only through the
    /// relay share edits and new files; the relay's folder keeps every file
    /// with its history.
    @Test func aRelayKeepsTheFolderAndJoinersMeetThroughIt() throws {
        let dir = try TempDir()
        let shared = dir.path + "/served"
        try FileManager.default.createDirectory(atPath: shared + "/docs", withIntermediateDirectories: true)
        try "plan\n".write(toFile: shared + "/docs/plan.md", atomically: true, encoding: .utf8)
        let folder = try WorkspaceFolder(root: shared, replica: .random(), author: "serve", colour: 0, workspaceID: 0xF00D)
        _ = try folder.scan()
        let relay = WorkspaceRelay(folder: folder)
        var config = PeerHub.Configuration(name: "serve", colour: 0)
        config.showsCursor = false
        config.share = .folder(0xF00D)
        let hub = PeerHub(document: folder.manifest.doc, configuration: config, onEvent: relay.post)
        defer { _ = try? hub.shutdown() }
        try relay.start(hub)
        let port = try hub.listen(host: "127.0.0.1", port: 0).port!
        let bob = try Self.join(dir.path + "/bob", port: port, open: nil, name: "bob")
        defer { _ = try? bob.hub.shutdown() }
        let carol = try Self.join(dir.path + "/carol", port: port, open: nil, name: "carol")
        defer { _ = try? carol.hub.shutdown() }
        func pump(_ done: () -> Bool) -> Bool {
            pumpLinks([bob.link, carol.link]) { relay.process(); return done() }
        }
        #expect(bob.session.editor.text == "plan\n" && carol.session.editor.text == "plan\n")
        type("- ", into: bob)
        #expect(pump { carol.session.editor.text == "- plan\n" && Self.read(shared + "/docs/plan.md") == "- plan\n" })
        let served = try OpLog.load(path: shared + "/docs/.plan.md.weave")
        #expect(served.history.authors.values.contains { $0.name == "bob" })
        try carol.workspace.create("todo.txt")
        type("x", into: carol)
        #expect(pump { Self.read(shared + "/todo.txt") == "x" && Self.read(dir.path + "/bob/todo.txt") == "x" })
        #expect(bob.session.editor.workspaceFiles?.map(\.path).contains("todo.txt") == true)
        try relay.finish()
    }

    /// Without --open a joiner first shows the file the host is in.
    @Test func aJoinerFirstShowsTheHostsFile() throws {
        let dir = try TempDir()
        let shared = dir.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared + "/z", withIntermediateDirectories: true)
        try "first\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try "hosts\n".write(toFile: shared + "/z/z.txt", atomically: true, encoding: .utf8)
        let (alice, port) = try Self.host(shared, open: "z/z.txt")
        defer { _ = try? alice.hub.shutdown() }
        #expect(alice.session.editor.text == "hosts\n")
        let bob = try Self.join(dir.path + "/mirror", port: port, open: nil)
        defer { _ = try? bob.hub.shutdown() }
        #expect(bob.session.editor.text == "hosts\n")
        #expect(bob.session.editor.fileName == "z.txt")
    }

    @Test func aJoinerRefusesAFolderWithOtherFilesAndAFile() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/busy", withIntermediateDirectories: true)
        try "mine\n".write(toFile: dir.path + "/busy/mine.txt", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir.path + "/file", atomically: true, encoding: .utf8)
        #expect(throws: WorkspaceFailure.self) { try WorkspaceStart.checkJoinTarget(dir.path + "/busy") }
        #expect(throws: WorkspaceFailure.self) { try WorkspaceStart.checkJoinTarget(dir.path + "/file") }
        try WorkspaceStart.checkJoinTarget(dir.path + "/new")
        #expect(Self.read(dir.path + "/busy/mine.txt") == "mine\n")
    }
}
