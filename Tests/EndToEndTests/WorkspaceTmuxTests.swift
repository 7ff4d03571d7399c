import Foundation
import Testing
import WeaveTestSupport

/// End-to-end: a shared folder (issue "Workspaces"). The host shares a folder
/// with `a.txt` and `sub/b.txt`; a peer joins into an empty folder showing
/// `sub/b.txt`, types, creates, renames and deletes files from the file list,
/// and everything reaches the host's folder and list.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end workspace tests skipped (under CI=true they fail)"))
struct WorkspaceTmuxTests {
    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test(arguments: [(80, 24), (160, 45)]) func aJoinerMirrorsTheFolderAndItsChangesReachTheHost(width: Int, height: Int) throws {
        let dir = try TempDir()
        let shared = dir.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared + "/sub", withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try "bravo\n".write(toFile: shared + "/sub/b.txt", atomically: true, encoding: .utf8)
        try "not shared\n".write(toFile: shared + "/.hidden", atomically: true, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(shared) --port 0 --name alice",
                            width: width, height: height)
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        // "HOST:PORT --invite wv1-… shared/": the folder it suggests is replaced by the test's own.
        var words = try Tmux.joinArguments(weave: weave, file: shared, config: dir.path + "/alice-config").split(separator: " ")
        #expect(words.last == "shared/")
        words.removeLast()
        let args = words.joined(separator: " ")
        let mirror = dir.path + "/mirror"
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) \(mirror)/ --open sub/b.txt --name bob",
                           width: width, height: height)
        defer { bob.kill() }
        try bob.waitFor("bravo")
        try bob.waitFor("alice online")
        // Every shared file is mirrored, with its history; hidden ones are not shared.
        try waitForFile(mirror + "/a.txt", toHold: "alpha\n")
        #expect(Self.read(mirror + "/.hidden") == nil)
        #expect(FileManager.default.fileExists(atPath: mirror + "/sub/.b.txt.weave"))

        // Bob types in sub/b.txt: the host's history of it has the typing.
        bob.sendText("hello ")
        try bob.waitFor("hello bravo")
        try waitUntil("the host's weave show has bob's typing", seconds: 20, state: { (try? Tmux.run([weave, "show", shared + "/sub/b.txt"]))?.output ?? "" }) {
            (try Tmux.run([weave, "show", shared + "/sub/b.txt"])).output.contains("hello bravo")
        }
        // The host's list says bob is in sub/b.txt.
        host.sendKeys("C-b")
        try host.waitFor("b.txt")
        try waitUntil("the host's file list shows bob beside b.txt", seconds: 10, state: { host.capture() }) {
            host.capture().split(separator: "\n").contains { $0.contains("b.txt") && $0.contains("bob") }
        }
        host.sendKeys("Escape")

        // A file created in bob's list appears in the host's folder and list.
        bob.sendKeys("C-b")
        try bob.waitFor("a.txt")
        bob.sendText("notes/new.txt")
        bob.sendKeys("C-n")
        try waitUntil("the host's folder has notes/new.txt", seconds: 20) {
            FileManager.default.fileExists(atPath: shared + "/notes/new.txt")
        }
        host.sendKeys("C-b")
        try host.waitFor("new.txt")
        host.sendKeys("Escape")

        // A rename.
        bob.sendKeys("C-b")
        try bob.waitFor("a.txt")
        bob.sendText("a.txt")
        bob.sendKeys("C-r")
        for _ in 0 ..< 10 { bob.sendKeys("BSpace") }
        bob.sendText("renamed.txt")
        bob.sendKeys("Enter")
        try waitUntil("a.txt is renamed.txt on the host", seconds: 20) {
            Self.read(shared + "/renamed.txt") == "alpha\n" && !FileManager.default.fileExists(atPath: shared + "/a.txt")
        }
        #expect(Self.read(mirror + "/renamed.txt") == "alpha\n")
        // The list stays open after a rename: Esc clears the filter, Esc closes it.
        bob.sendKeys("Escape")
        bob.sendKeys("Escape")

        // A delete: the file goes, its history stays (weave show still prints it).
        bob.sendKeys("C-b")
        try bob.waitFor("renamed.txt")
        bob.sendText("renamed")
        bob.sendKeys("C-d")
        try bob.waitFor("(y/n)")
        bob.sendKeys("y")
        try waitUntil("renamed.txt is deleted on the host", seconds: 20) {
            !FileManager.default.fileExists(atPath: shared + "/renamed.txt")
        }
        let show = try Tmux.run([weave, "show", shared + "/renamed.txt"])
        #expect(show.status == 0 && show.output.contains("alpha"), "weave show on a deleted file: \(show.output)")

        // Both quit cleanly.
        bob.sendKeys("C-q")
        bob.sendKeys("C-q")
        try bob.waitFor("WEAVE-EXIT=0")
        host.sendKeys("C-q")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }
}
