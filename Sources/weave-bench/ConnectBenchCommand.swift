import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import WeaveSession

/// `weave-bench connect`: the editor protocol's client against a real host (release build).
struct BenchConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Measure weave connect: opening a large document, keys both ways, a 2,000-line paste.",
        discussion: """
        A host session (SessionStart.host, as weave host: TLS 1.3, the file's history) holds a \
        generated document of --size bytes in lines of 60 characters, on 127.0.0.1. The weave \
        binary built beside weave-bench runs `weave connect` as a child process, fed the editor \
        protocol on a pipe, as a plugin would. Measured: "open", from starting the process until \
        the `document` reply has been read whole (the join's TLS handshake, catch-up and the \
        reply); "key →", from writing a one-character `edit` until the host's document holds it \
        (--keys times, median and 95th percentile); "key ←", from the host typing a character \
        until the client's `edit` for it has been read; "paste", one `edit` of 2,000 lines until \
        the host holds all of it. An editor's own drawing is not included (Neovim applies a \
        change in well under a millisecond). Run in release: swift run -c release weave-bench connect
        """)

    @Option(help: "Bytes of the hosted document.") var size = 1_000_000
    @Option(help: "Keys each way.") var keys = 200
    @Flag(help: "Also print the figures as one JSON line.") var json = false

    /// Reads the client's frames on a thread of its own; keeps the latest
    /// client revision and when each `edit` arrived.
    final class Reader: @unchecked Sendable {
        let state = NIOLockedValueBox<(revision: Int, document: Bool, edits: [UInt64], text: Int)>((0, false, [], 0))
        func run(_ handle: FileHandle) {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                buffer.append(chunk)
                while let head = buffer.range(of: Data("\r\n\r\n".utf8)) {
                    let header = String(decoding: buffer[buffer.startIndex ..< head.lowerBound], as: UTF8.self)
                    guard let n = Int(header.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? ""),
                          buffer.count - (head.upperBound - buffer.startIndex) >= n else { break }
                    let body = buffer[head.upperBound ..< head.upperBound + n]
                    buffer = Data(buffer[(head.upperBound + n)...])
                    guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                          let method = object["method"] as? String, let params = object["params"] as? [String: Any] else { continue }
                    let now = EditorSession.now()
                    state.withLockedValue { s in
                        if method == "document" {
                            s.document = true
                            s.revision = params["revision"] as? Int ?? 0
                            s.text = (params["text"] as? String)?.unicodeScalars.count ?? 0
                        } else if method == "edit" {
                            s.revision = params["revision"] as? Int ?? s.revision
                            s.edits.append(now)
                        }
                    }
                }
            }
        }
    }

    func run() throws {
        let weave = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("weave").path
        guard FileManager.default.isExecutableFile(atPath: weave) else { throw ValidationError("no weave binary beside weave-bench (\(weave))") }
        let tmp = try TemporaryFolder()
        defer { tmp.remove() }
        let file = tmp.path + "/doc.txt"
        let line = String(repeating: "abcdefghij", count: 6)
        let lines = max(1, size / 61)
        try String(repeating: line + "\n", count: lines).write(toFile: file, atomically: false, encoding: .utf8)
        var options = HostOptions(name: "host")
        (options.port, options.configDirectory) = (0, tmp.path + "/cfg-host")
        let host = try SessionStart.host(file, options)
        defer { _ = try? host.hub.shutdown() }
        guard let command = host.joinCommand else { throw ValidationError("the host printed no join command") }
        let words = command.split(separator: " ").map(String.init)
        func pump() { for e in host.link.inbox.drain() { host.link.handle(e) } }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: weave)
        process.arguments = ["connect", words[2], "--invite", words[4], "--name", "bench"]
        process.environment = ["WEAVE_CONFIG_DIR": tmp.path + "/cfg-join", "PATH": "/usr/bin:/bin"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/stderr") ?? FileHandle.nullDevice
        let reader = Reader()
        let start = EditorSession.now()
        try process.run()
        defer { try? input.fileHandleForWriting.close(); process.waitUntilExit() }
        Thread.detachNewThread { reader.run(output.fileHandleForReading) }
        func send(_ method: String, _ params: [String: Any]) throws {
            let body = try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "method": method, "params": params])
            input.fileHandleForWriting.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        }
        func wait(_ what: String, _ seconds: Double = 30, _ done: () -> Bool) throws {
            let deadline = EditorSession.now() + UInt64(seconds * 1e9)
            while !done() {
                pump()
                guard EditorSession.now() < deadline else { throw ValidationError("timed out waiting for \(what)") }
                usleep(100)
            }
        }
        try send("open", ["uri": "bench", "text": ""])
        try wait("the document") { reader.state.withLockedValue { $0.document } }
        let open = Double(EditorSession.now() - start) / 1e9
        let opened = reader.state.withLockedValue { $0.text }

        var forward: [Double] = []
        var edits = 0
        for k in 0 ..< keys {
            let before = host.session.editor.doc.rga.count
            let revision = reader.state.withLockedValue { $0.revision }
            let t0 = EditorSession.now()
            try send("edit", ["uri": "bench", "revision": revision,
                              "changes": [["range": ["start": ["line": 0, "column": k], "end": ["line": 0, "column": k]], "text": "x"]]])
            edits += 1
            try wait("key \(k) at the host") { host.session.editor.doc.rga.count > before }
            forward.append(Double(EditorSession.now() - t0) / 1e9)
        }
        var backward: [Double] = []
        for k in 0 ..< keys {
            let seen = reader.state.withLockedValue { $0.edits.count }
            let t0 = EditorSession.now()
            host.session.press(.char("y"))
            try wait("key \(k) at the client") { reader.state.withLockedValue { $0.edits.count } > seen }
            backward.append(Double(reader.state.withLockedValue { $0.edits[seen] } - t0) / 1e9)
        }
        let paste = (1 ... 2000).map { "pasted line \($0)\n" }.joined()
        let before = host.session.editor.doc.rga.count
        let revision = reader.state.withLockedValue { $0.revision }
        let t0 = EditorSession.now()
        try send("edit", ["uri": "bench", "revision": revision,
                          "changes": [["range": ["start": ["line": 1, "column": 0], "end": ["line": 1, "column": 0]], "text": paste]]])
        try wait("the paste at the host") { host.session.editor.doc.rga.count >= before + paste.unicodeScalars.count }
        let pasted = Double(EditorSession.now() - t0) / 1e9
        let whole = host.session.editor.text.contains(paste)

        func pct(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }
        print("weave connect: a \(opened)-character document (\(lines) lines), \(keys) keys each way, loopback TLS 1.3")
        print(String(format: "  open      %8.1f ms   (process start to the document read; target ≤ 300 ms for 1 MB)", open * 1000))
        print(String(format: "  key →     %8.2f ms median, %.2f ms p95   (editor edit to the host's document; target ≤ 20 ms)", pct(forward, 0.5) * 1000, pct(forward, 0.95) * 1000))
        print(String(format: "  key ←     %8.2f ms median, %.2f ms p95   (host key to the client's edit read)", pct(backward, 0.5) * 1000, pct(backward, 0.95) * 1000))
        print(String(format: "  paste     %8.1f ms   (2,000 lines in one edit; arrived whole: %@)", pasted * 1000, whole ? "yes" : "NO"))
        if json {
            print("{\"bench\":\"connect\",\"characters\":\(opened),\"open_ms\":\(open * 1000),\"key_forward_median_ms\":\(pct(forward, 0.5) * 1000),"
                + "\"key_forward_p95_ms\":\(pct(forward, 0.95) * 1000),\"key_back_median_ms\":\(pct(backward, 0.5) * 1000),"
                + "\"key_back_p95_ms\":\(pct(backward, 0.95) * 1000),\"paste_ms\":\(pasted * 1000),\"paste_whole\":\(whole)}")
        }
        if !whole { throw ValidationError("the paste did not arrive whole") }
    }
}
