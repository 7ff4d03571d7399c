import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// The crash harness: a child `weave-bench log-writer` appends edits and prints
/// `durable N` after each fsync; the parent kills it with SIGKILL at a random
/// moment and reopens. Every log must open, with at least the acknowledged
/// edits, and its text must be exactly the writer's text after that many
/// edits. WEAVE_CRASH_RUNS sets the number of runs (default 50).
struct CrashTests {
    @Test func killedWritersLoseNoAcknowledgedEdit() throws {
        let writer = try Binaries.require("weave-bench")
        let runs = Int(ProcessInfo.processInfo.environment["WEAVE_CRASH_RUNS"] ?? "") ?? 50
        // Fixed unless $WEAVE_SEED says otherwise (the kill times still vary with the machine).
        let seed = TestSeed.pick(20_261_201)
        var generator = SeededRandom(seed: seed)
        var acknowledgedRuns = 0
        for run in 0 ..< runs {
            let dir = try TempDir("crash")
            let file = dir.file("crash.txt")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: writer)
            child.arguments = ["log-writer", file, "--batch", "\(Int.random(in: 1 ... 20, using: &generator))"]
            let out = Pipe()
            child.standardOutput = out
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Read acknowledgements until a random moment, bounded in time.
            let killAfter = Double.random(in: 0.02 ... 0.25, using: &generator)
            let deadline = Date().addingTimeInterval(killAfter)
            var acknowledged = 0
            var buffer = Data()
            let handle = out.fileHandleForReading
            let fd = handle.fileDescriptor
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            while Date() < deadline {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &chunk, chunk.count)
                if n > 0 { buffer.append(contentsOf: chunk[0 ..< n]) } else { usleep(500) }
                acknowledged = Self.lastAcknowledged(buffer) ?? acknowledged
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            // It must have died of the kill, not ended (or crashed) on its own.
            #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
                    "seed \(seed) run \(run): the writer ended by itself (\(child.terminationReason), \(child.terminationStatus))")
            // Whatever was printed before the kill was acknowledged too.
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                buffer.append(contentsOf: chunk[0 ..< n])
            }
            acknowledged = Self.lastAcknowledged(buffer) ?? acknowledged
            if acknowledged > 0 { acknowledgedRuns += 1 }
            guard FileManager.default.fileExists(atPath: OpLog.sidecarPath(for: file)) else {
                #expect(acknowledged == 0, "seed \(seed) run \(run): edits were acknowledged but there is no history")
                continue  // killed before it began
            }
            do {
                let s = try StoredDocument(file: file, author: "checker")
                #expect(!s.messages.contains { $0.contains("outside") }, "seed \(seed) run \(run): a crash looked like an outside change")
                let typed = s.history.edits.filter { $0.author.flatMap { s.history.authors[$0]?.name } != StoredDocument.diskAuthorName }.count
                #expect(typed >= acknowledged, "seed \(seed) run \(run): \(acknowledged) edits acknowledged, \(typed) found")
                #expect(s.doc.text == Self.writerText(afterEdits: typed),
                        "seed \(seed) run \(run): the reopened text is not the writer's text after its \(typed) edits")
            } catch {
                Issue.record("seed \(seed) run \(run): the log did not open: \(error)")
            }
        }
        #expect(runs == 0 || acknowledgedRuns > 0, "seed \(seed): no run acknowledged an edit, so nothing was checked")
    }

    /// What `weave-bench log-writer` has written after `n` edits, computed
    /// without a CRDT: edit k appends "ek " at the end, except every fifth,
    /// which deletes the middle character (see LogWriterCommand.swift).
    static func writerText(afterEdits n: Int) -> String {
        var text: [Unicode.Scalar] = []
        for made in 0 ..< n {
            if !text.isEmpty && made % 5 == 4 {
                text.remove(at: text.count / 2)
            } else {
                text.append(contentsOf: "e\(made) ".unicodeScalars)
            }
        }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: text)
        return String(s)
    }

    /// The edit count of the last complete `durable N count` line.
    static func lastAcknowledged(_ data: Data) -> Int? {
        let text = String(decoding: data, as: UTF8.self)
        guard let lastNewline = text.lastIndex(of: "\n") else { return nil }
        let lines = text[..<lastNewline].split(separator: "\n")
        guard let line = lines.last else { return nil }
        let parts = line.split(separator: " ")
        return parts.count >= 2 && parts[0] == "durable" ? Int(parts[1]) : nil
    }
}

