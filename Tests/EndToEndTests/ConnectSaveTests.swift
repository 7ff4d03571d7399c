import Foundation
import Testing
import WeaveTestSupport

/// Issue 32: `save` is answered with what happened to FILE, from the save
/// itself (not from the words on a status line): written, or why not.
@Suite(.serialized)
struct ConnectSaveTests {
    @Test func aSaveThatCannotWriteSaysWhyAndTheNextOneWrites() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("connect-save")
        let file = dir.path + "/doc.txt"
        try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
        let editor = try ProtocolEditor(weave, ["connect", "--host", file, "--port", "0", "--name", "alice"],
                                        environment: ["WEAVE_CONFIG_DIR": dir.path + "/config"])
        defer { editor.kill() }
        try editor.wait(for: "the join command", seconds: 20) { $0.method == "hosting" }
        editor.open("doc")
        try editor.waitForBuffer("doc", "hello\n")
        editor.edit("doc", line: 1, column: 0, insert: "world\n")

        // FILE replaced by a folder: nothing can be written there.
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        editor.send("save", ["uri": "doc"])
        let refused = try editor.wait(for: "the reply to save", seconds: 10) { $0.method == "saved" }
        let why = try #require(refused.params["error"] as? String, "a save that wrote nothing was answered as written")
        #expect(!why.isEmpty)

        // The folder gone again: the next save writes the text.
        try FileManager.default.removeItem(atPath: file)
        editor.send("save", ["uri": "doc"])
        let saved = try editor.wait(for: "the reply to the second save", seconds: 10) { $0.method == "saved" }
        #expect(saved.params["error"] == nil, "\(saved.params)")
        #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "hello\nworld\n")
        #expect(editor.finish(seconds: 15) == 0, "\(editor.errorText)")
    }
}
