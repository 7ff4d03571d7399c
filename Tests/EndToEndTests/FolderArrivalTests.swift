import Foundation
import PeerTestSupport
import Testing
import WeaveTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 28: a shared folder on a project-like tree of 250+ files (nested
/// folders, 100 B–200 KB, a .gitignore, a binary, a file over 1 MiB) arrives
/// whole on every join, directly and through `weave serve DIR`, and typing in
/// files the other side does not show ends on both disks.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end folder tests skipped (under CI=true they fail)"))
struct FolderArrivalTests {
    static let files = 250

    /// Joins into a fresh mirror and waits until every shared file is there, byte for byte.
    func joinAndCompare(_ weave: String, args: String, tree: ProjectTree, mirror: String, config: String, label: String) throws {
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(config) \(weave) join \(args) \(mirror)/ --name bob")
        defer { bob.kill() }
        try waitUntil("\(label): every shared file is in the mirror, byte for byte", seconds: 60,
                      state: { let d = tree.differences(in: mirror); return "\(d.count) differ: \(d.prefix(5))\n\(bob.capture())" }) {
            tree.differences(in: mirror).isEmpty
        }
    }

    @Test func twentyJoinsEachGetEveryFileDirectAndThroughARelay() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("arrival")
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj, withIntermediateDirectories: true)
        let tree = try ProjectTree(root: proj, files: Self.files, seed: 28)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host \(proj) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:", seconds: 30)
        var words = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice").split(separator: " ")
        words.removeLast()  // "proj/": each join names its own mirror
        for i in 0 ..< 10 {
            try joinAndCompare(weave, args: words.joined(separator: " "), tree: tree, mirror: dir.path + "/direct\(i)",
                               config: dir.path + "/bob", label: "direct join \(i)")
        }
        host.kill()

        // The same tree served headless: ten joins through the relay.
        let served = dir.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let tree2 = try ProjectTree(root: served, files: Self.files, seed: 28)
        let serve = try Child(weave, ["serve", served, "--port", "0"], environment: ["WEAVE_CONFIG_DIR=\(dir.path)/serve"])
        defer { kill(serve.pid, SIGTERM); _ = serve.wait() }
        let line = try #require(Self.joinLine(serve), "weave serve DIR printed no join command")
        var served_ = line.split(separator: " ")
        served_.removeLast()
        for i in 0 ..< 10 {
            try joinAndCompare(weave, args: served_.joined(separator: " "), tree: tree2, mirror: dir.path + "/relayed\(i)",
                               config: dir.path + "/bob", label: "join \(i) through weave serve")
        }
    }

    /// Both sides type into files the other does not show; both disks end identical.
    @Test func typingInFilesNobodyElseShowsReachesEveryDisk() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("arrival-typing")
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj, withIntermediateDirectories: true)
        let tree = try ProjectTree(root: proj, files: Self.files, seed: 29)
        let paths = tree.shared.keys.sorted()
        let hostFile = paths[0], bobFile = paths[paths.count / 2]
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host \(proj) --port 0 --name alice --open \(hostFile)")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:", seconds: 30)
        var words = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice").split(separator: " ")
        words.removeLast()
        let mirror = dir.path + "/mirror"
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob \(weave) join \(words.joined(separator: " ")) \(mirror)/ --name bob --open \(bobFile)")
        defer { bob.kill() }
        try waitUntil("the mirror is whole", seconds: 60, state: { "\(tree.differences(in: mirror).prefix(5))" }) {
            tree.differences(in: mirror).isEmpty
        }
        try bob.waitFor("alice", seconds: 20)
        host.sendText("ALICE WAS HERE ")
        bob.sendText("BOB WAS HERE ")
        try host.waitFor("ALICE WAS HERE")
        try bob.waitFor("BOB WAS HERE")
        host.sendKeys("C-s")
        bob.sendKeys("C-s")
        func read(_ p: String) -> String { (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        try waitUntil("each typing is on both disks", seconds: 30,
                      state: { "host \(hostFile): \(read(proj + "/" + hostFile).prefix(40))\nmirror \(hostFile): \(read(mirror + "/" + hostFile).prefix(40))\nhost \(bobFile): \(read(proj + "/" + bobFile).prefix(40))\nmirror \(bobFile): \(read(mirror + "/" + bobFile).prefix(40))" }) {
            read(proj + "/" + hostFile).hasPrefix("ALICE WAS HERE ") && read(mirror + "/" + hostFile).hasPrefix("ALICE WAS HERE ")
                && read(proj + "/" + bobFile).hasPrefix("BOB WAS HERE ") && read(mirror + "/" + bobFile).hasPrefix("BOB WAS HERE ")
        }
        for p in paths {
            #expect(read(proj + "/" + p) == read(mirror + "/" + p), "\(p) differs between the host and the mirror")
        }
    }

    /// Issue 28, defect 3: the printed join command, run where the host runs
    /// (its folder's own name), joined the host's own folder: two processes
    /// wrote one folder and the text doubled. It is refused, naming the host,
    /// and nothing in the folder changes.
    @Test func thePrintedJoinCommandRunBesideTheHostIsRefused() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("arrival-same-folder")
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj, withIntermediateDirectories: true)
        try "line one\n".write(toFile: proj + "/a.txt", atomically: true, encoding: .utf8)
        let host = try Tmux(command: "sh -c 'cd \(dir.path) && exec env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host proj --port 0 --name alice'")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:", seconds: 30)
        let args = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice")
        #expect(args.hasSuffix(" proj/"))
        func snapshot() -> [String: Data] {
            var out: [String: Data] = [:]
            for p in (FileManager.default.enumerator(atPath: proj)?.allObjects as? [String] ?? []) where !p.hasSuffix("lock") {
                if let d = FileManager.default.contents(atPath: proj + "/" + p) { out[p] = d }
            }
            return out
        }
        let before = snapshot()
        let bob = try Tmux(command: "sh -c 'cd \(dir.path) && exec env WEAVE_CONFIG_DIR=\(dir.path)/bob \(weave) join \(args) --name bob'")
        defer { bob.kill() }
        let screen = try bob.waitFor("WEAVE-EXIT=", seconds: 20)
        #expect(screen.contains("proj is being shared by another weave process (PID "), "\(screen)")
        #expect(screen.contains("weave host proj"), "the other process is named: \(screen)")
        #expect(!screen.contains("WEAVE-EXIT=0"))
        #expect(snapshot() == before, "nothing in the host's folder changed")
    }

    /// Issue 28, defect 10: a host killed (kill -9) while a joiner's first
    /// mirror was under way left "alice online" on the joiner's screen for
    /// 20 s, and "alice alice online" once the host was back. Whether the kill
    /// lands before or after the folder arrived, the joiner must not show her
    /// online while she is gone, and must show her once when she is back.
    @Test(arguments: [0.2, 0.6, 1.5]) func aHostKilledDuringTheFirstMirrorIsNotShownOnline(after delay: Double) throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("arrival-kill")
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj, withIntermediateDirectories: true)
        _ = try ProjectTree(root: proj, files: Self.files, seed: 31)
        var host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host \(proj) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:", seconds: 30)
        var words = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice").split(separator: " ")
        words.removeLast()
        let port = try #require(words.first.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob \(weave) join \(words.joined(separator: " ")) \(dir.path)/mirror/ --name bob --timeout 5")
        defer { bob.kill() }
        usleep(UInt32(delay * 1e6))
        kill(try host.weavePID(), SIGKILL)
        // Within 3 s (the link's end is seen at once: the kernel closes the socket).
        try waitUntil("bob's screen no longer shows alice online", seconds: 3, state: { bob.capture() }) {
            !bob.capture().contains("alice online")
        }
        // The editor's status line names the file's state ([saved], [arriving]…);
        // "Ln 1, Col 1" may be shortened to "1:1" beside a long link status.
        try waitUntil("bob's editor is up, or the join failed", seconds: 10, state: { bob.capture() }) {
            let screen = bob.capture()
            return ["[saved]", "[arriving]", "[modified]", "Ln 1, Col 1", "WEAVE-EXIT="].contains { screen.contains($0) }
        }
        if bob.capture().contains("WEAVE-EXIT=") { return }  // the join itself failed, with its message: nothing more to see
        // Nor in the file she had open: the file list (Ctrl-B) kept her there,
        // and listed her twice once she was back (seen by hand).
        try openFileList(bob)
        // Within the same 3 s as the status line (the list is drawn from the
        // link's presences, which lose her when her link's end is seen).
        try waitUntil("the file list no longer shows the dead host", seconds: 3, state: { bob.capture() }) {
            !bob.capture().contains("● alice")
        }
        bob.sendKeys("Escape")
        host.kill()
        host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host \(proj) --port \(port) --name alice")
        try waitUntil("bob sees alice back, once", seconds: 20, state: { bob.capture() }) {
            bob.capture().contains(" alice online")
        }
        #expect(!bob.capture().contains("alice alice"), "\(bob.capture())")
        try openFileList(bob)
        try waitUntil("bob's file list shows alice in her file", seconds: 10, state: { bob.capture() }) {
            bob.capture().contains("● alice")
        }
        #expect(!bob.capture().contains("● alice ● alice"), "\(bob.capture())")
    }

    /// Ctrl-B, and waits until the file list is drawn.
    func openFileList(_ side: Tmux) throws {
        side.sendKeys("C-b")
        try waitUntil("the file list is open", seconds: 5, state: { side.capture() }) { side.capture().contains("Files (") }
    }

    /// "join with: weave join HOST:PORT --invite TOKEN DIR/" from a child's stdout: what follows `weave join`.
    static func joinLine(_ child: Child) -> String? {
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            var p = pollfd(fd: child.out, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) >= 0 else { return nil }
            if p.revents == 0 { continue }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(child.out, &buf, buf.count)
            if n <= 0 { return nil }
            text += String(decoding: buf[0 ..< n], as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("join with: weave join ") }) {
                return String(line.dropFirst("join with: weave join ".count))
            }
        }
        return nil
    }
}
