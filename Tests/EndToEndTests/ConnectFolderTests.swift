import Foundation
import Testing
import WeaveTestSupport

/// Issue 32: a shared folder through `weave connect … DIR/`. The test is the
/// editor: it speaks the editor protocol (docs/EDITORS.md) to a real `weave
/// connect` child over its stdin and stdout, with its own framing and its
/// own model of each buffer, against a real `weave host DIR` in tmux.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: skipped (under CI=true it fails)"))
struct ConnectFolderTests {
    @Test func anEditorOpensEditsCreatesAndSavesFilesOfASharedFolder() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("connect-folder")
        let proj = dir.path + "/proj"
        try FileManager.default.createDirectory(atPath: proj + "/sub", withIntermediateDirectories: true)
        try "alpha\n".write(toFile: proj + "/a.txt", atomically: false, encoding: .utf8)
        try "# bee\n".write(toFile: proj + "/b.md", atomically: false, encoding: .utf8)
        try "sea 日本\n".write(toFile: proj + "/sub/c.txt", atomically: false, encoding: .utf8)
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice \(weave) host \(proj) --port 0 --name alice --open a.txt")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:", seconds: 30)
        var words = try Tmux.joinArguments(weave: weave, file: proj, config: dir.path + "/alice").split(separator: " ").map(String.init)
        words.removeLast()  // "proj/": the editor's mirror is its own
        let mirror = dir.path + "/mirror"
        let editor = try ProtocolEditor(weave, ["connect"] + words + [mirror + "/", "--name", "bob"],
                                        environment: ["WEAVE_CONFIG_DIR": dir.path + "/bob"])
        defer { editor.kill() }

        // The folder comes first: where it is and its files.
        let folder = try editor.wait(for: "the folder's file list", seconds: 30) {
            $0.method == "folder" && ($0.params["files"] as? [[String: Any]])?.count == 3
        }
        #expect(folder.params["root"] as? String == mirror)
        #expect((folder.params["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["a.txt", "b.md", "sub/c.txt"])

        // Two files open at once; an edit to each reaches the host's disk.
        for uri in ["b.md", "sub/c.txt"] { editor.open(uri) }
        try editor.waitForBuffer("b.md", "# bee\n")
        try editor.waitForBuffer("sub/c.txt", "sea 日本\n")
        editor.edit("b.md", line: 1, column: 0, insert: "from the editor\n")
        editor.edit("sub/c.txt", line: 0, column: 5, insert: "語🙂")
        try waitForFile(proj + "/b.md", toHold: "# bee\nfrom the editor\n")
        try waitForFile(proj + "/sub/c.txt", toHold: "sea 日語🙂本\n")

        // The file alice shows: her typing arrives in the editor's buffer as edits.
        editor.open("a.txt")
        try editor.waitForBuffer("a.txt", "alpha\n")
        try host.waitFor("bob")
        host.sendKeys("C-Home")
        host.sendText("from alice ")
        try editor.waitForBuffer("a.txt", "from alice alpha\n", seconds: 15)

        // A new path is a new file of the folder, on every disk.
        editor.open("notes/new.txt")
        try editor.waitForBuffer("notes/new.txt", "")
        editor.edit("notes/new.txt", line: 0, column: 0, insert: "a new file\n")
        try waitForFile(proj + "/notes/new.txt", toHold: "a new file\n")

        // Paths outside the folder are refused, in words, and nothing is written.
        editor.open("../outside.txt")
        let refusal = try editor.wait(for: "a refusal of ../outside.txt", seconds: 10) { $0.method == "error" }
        #expect((refusal.params["message"] as? String ?? "").contains("outside.txt"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/outside.txt"))

        // Saving writes the mirror's file; closing stdin ends the client, whose histories are kept.
        editor.send("save", ["uri": "b.md"])
        let saved = try editor.wait(for: "the reply to save", seconds: 10) { $0.method == "saved" }
        #expect(saved.params["error"] == nil, "\(saved.params)")
        #expect((try? String(contentsOfFile: mirror + "/b.md", encoding: .utf8)) == "# bee\nfrom the editor\n")
        #expect(editor.finish(seconds: 15) == 0, "weave connect exits 0 when the editor closes its stdin: \(editor.errorText)")
        try waitForFile(mirror + "/sub/c.txt", toHold: "sea 日語🙂本\n", seconds: 5)
        try waitForFile(mirror + "/notes/new.txt", toHold: "a new file\n", seconds: 5)
        #expect(FileManager.default.fileExists(atPath: mirror + "/.weave"), "the mirror keeps the folder's records")
    }
}

/// A `weave connect` child driven as an editor drives it: framed JSON-RPC on
/// its stdin, frames read from its stdout into a model of each open buffer
/// (columns in Unicode scalars, as docs/EDITORS.md says). Written apart from
/// WeaveBridge on purpose: a second reader of the same wire.
final class ProtocolEditor {
    struct Message {
        var method: String
        var params: [String: Any]
    }

    /// One buffer as the protocol's rule keeps it: a text and two counters.
    struct Buffer {
        var text: [Unicode.Scalar]
        var sent = 0
        var seen = 0
    }

    private let process = Process()
    private let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    private var bytes: [UInt8] = []
    private(set) var buffers: [String: Buffer] = [:]
    private var errorBytes: [UInt8] = []

    init(_ weave: String, _ args: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: weave)
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        (process.standardInput, process.standardOutput, process.standardError) = (stdin, stdout, stderr)
        try process.run()
    }

    var errorText: String { String(decoding: errorBytes, as: UTF8.self) }

    func kill() { if process.isRunning { process.terminate() } }

    func send(_ method: String, _ params: [String: Any]) {
        let object: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params]
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        stdin.fileHandleForWriting.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    func open(_ uri: String) { send("open", ["uri": uri, "text": ""]) }

    /// Types `text` at (line, column) of `uri`'s buffer and sends it as the editor would.
    func edit(_ uri: String, line: Int, column: Int, insert text: String) {
        guard var b = buffers[uri] else { return }
        let at = Self.offset(b.text, line: line, column: column)
        b.text.insert(contentsOf: text.unicodeScalars, at: at)
        let position: [String: Any] = ["line": line, "column": column]
        send("edit", ["uri": uri, "revision": b.seen, "changes": [["range": ["start": position, "end": position], "text": text]]])
        b.sent += 1
        buffers[uri] = b
    }

    static func offset(_ text: [Unicode.Scalar], line: Int, column: Int) -> Int {
        var l = 0, i = 0
        while l < line, i < text.count { if text[i] == "\n" { l += 1 }; i += 1 }
        return min(i + column, text.count)
    }

    /// Reads and applies what arrived; returns the messages, waiting up to `ms` for the first.
    private func pump(ms: Int32) -> [Message] {
        let fd = stdout.fileHandleForReading.fileDescriptor
        var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stderr.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        guard poll(&p, 2, ms) > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 65536)
        if p[1].revents != 0 {
            let n = read(p[1].fd, &chunk, chunk.count)
            if n > 0 { errorBytes += chunk[0 ..< n] }
        }
        if p[0].revents != 0 {
            let n = read(fd, &chunk, chunk.count)
            if n > 0 { bytes += chunk[0 ..< n] }
        }
        var out: [Message] = []
        while let end = Self.find(Array("\r\n\r\n".utf8), in: bytes) {
            let header = String(decoding: bytes[0 ..< end], as: UTF8.self)
            guard let length = header.split(separator: "\r\n").compactMap({ line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
            }).first, bytes.count >= end + 4 + length else { break }
            let body = Data(bytes[(end + 4) ..< (end + 4 + length)])
            bytes.removeFirst(end + 4 + length)
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let method = object["method"] as? String else { continue }
            let message = Message(method: method, params: object["params"] as? [String: Any] ?? [:])
            apply(message)
            out.append(message)
        }
        return out
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0 ... (hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i ..< i + needle.count]) == needle { return i }
        return nil
    }

    /// The rule of docs/EDITORS.md: a document replaces the buffer; an edit applies only at the revision it was made for.
    private func apply(_ m: Message) {
        guard let uri = m.params["uri"] as? String else { return }
        switch m.method {
        case "document":
            buffers[uri] = Buffer(text: Array((m.params["text"] as? String ?? "").unicodeScalars), seen: m.params["revision"] as? Int ?? 0)
        case "edit":
            guard var b = buffers[uri], m.params["editorRevision"] as? Int == b.sent else { return }
            for c in m.params["changes"] as? [[String: Any]] ?? [] {
                let range = c["range"] as? [String: Any] ?? [:]
                let s = range["start"] as? [String: Int] ?? [:], e = range["end"] as? [String: Int] ?? [:]
                let from = Self.offset(b.text, line: s["line"] ?? 0, column: s["column"] ?? 0)
                let to = Self.offset(b.text, line: e["line"] ?? 0, column: e["column"] ?? 0)
                b.text.replaceSubrange(from ..< max(from, to), with: (c["text"] as? String ?? "").unicodeScalars)
            }
            b.seen = m.params["revision"] as? Int ?? b.seen
            buffers[uri] = b
        case "renamed":
            if let to = m.params["to"] as? String { buffers[to] = buffers.removeValue(forKey: uri) }
        case "closed":
            buffers[uri] = nil
        default:
            break
        }
    }

    /// Waits (bounded) for a message matching `match`; throws with what arrived meanwhile.
    @discardableResult
    func wait(for what: String, seconds: Double, _ match: (Message) -> Bool) throws -> Message {
        let deadline = Date().addingTimeInterval(seconds)
        var seen: [String] = []
        while Date() < deadline {
            for m in pump(ms: 100) {
                if match(m) { return m }
                seen.append(m.method)
            }
        }
        throw TmuxError("timed out after \(seconds)s waiting for \(what); got \(seen.suffix(20)); stderr: \(errorText)")
    }

    /// Waits (bounded) until `uri`'s buffer holds exactly `text`.
    func waitForBuffer(_ uri: String, _ text: String, seconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let b = buffers[uri], String(String.UnicodeScalarView(b.text)) == text { return }
            _ = pump(ms: 100)
        }
        let now = buffers[uri].map { String(String.UnicodeScalarView($0.text)).debugDescription } ?? "not open"
        throw TmuxError("timed out after \(seconds)s waiting until \(uri) holds \(text.debugDescription); it holds \(now); stderr: \(errorText)")
    }

    /// Closes stdin (the editor quits) and waits, bounded, for the exit status (-1: still running, killed).
    func finish(seconds: Double) -> Int32 {
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { _ = pump(ms: 50) }
        if process.isRunning { process.terminate(); return -1 }
        return process.terminationStatus
    }
}
