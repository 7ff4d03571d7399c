import ArgumentParser
import Foundation
import WeaveCore
import WeaveHistory
import WeaveStore

/// `weave-bench store FILE`: how fast a document with its history opens, how big
/// its history file is, and what sustained typing costs the log writer.
struct BenchStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure opening a document's history and the cost of logging typing.",
        discussion: """
        open_ms: reading and checking .FILE.weave and rebuilding the document with its whole \
        history (median of --runs). sidecar_bytes: the history file's size. typing_cpu_percent: \
        CPU time of this process while it records --rate single-key edits per second for \
        --seconds seconds into a scratch copy, flushing (write + fsync) every 50 ms, as a \
        percentage of one core. Run in release: swift run -c release weave-bench store FILE
        """)

    @Argument(help: "A document with a history, e.g. one made by `weave import`.")
    var file: String

    @Option(help: "Runs of the open measurement; the median is reported.")
    var runs = 9

    @Option(help: "Edits per second for the typing measurement.")
    var rate = 1000

    @Option(help: "Seconds of typing.")
    var seconds = 3.0

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let sidecar = OpLog.sidecarPath(for: file)
        guard fileExists(sidecar) else { throw BenchFailure("\(file) has no history (\(sidecar)); make one with `weave import`") }
        var times: [Duration] = []
        var doc = RGA()
        var edits = 0
        for _ in 0 ..< runs {
            let start = ContinuousClock.now
            let loaded = try OpLog.load(path: sidecar)
            doc = try loaded.document(as: .random())
            edits = loaded.history.edits.count
            times.append(ContinuousClock.now - start)
        }
        let open = times.sorted()[times.count / 2]
        let size = (try? FileManager.default.attributesOfItem(atPath: sidecar)[.size] as? Int) ?? 0

        // Typing into a scratch document: one edit per key, a flush every 50 ms.
        let dir = NSTemporaryDirectory() + "weave-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scratch = try StoredDocument(file: dir + "/typing.txt", author: "bench")
        let total = Int(Double(rate) * seconds)
        let interval = 1.0 / Double(rate)
        let cpu0 = cpuSeconds()
        let wall0 = ContinuousClock.now
        var lastFlush = ContinuousClock.now
        for i in 0 ..< total {
            let op = scratch.doc.insert(i % 60 == 59 ? "\n" : "x", at: scratch.doc.count)!
            scratch.record([op])
            if ContinuousClock.now - lastFlush >= .milliseconds(50) {
                try scratch.flush()
                lastFlush = ContinuousClock.now
            }
            // Pace the typist: sleep until this key's due time.
            let due = Double(i + 1) * interval
            let elapsed = (ContinuousClock.now - wall0).seconds
            if due > elapsed { usleep(UInt32((due - elapsed) * 1e6)) }
        }
        try scratch.flush()
        let wall = (ContinuousClock.now - wall0).seconds
        let cpu = cpuSeconds() - cpu0
        let percent = cpu / wall * 100

        if json {
            print("{\"file\":\"\(file)\",\"edits\":\(edits),\"open_ms\":\(open.ms),\"sidecar_bytes\":\(size),\"typing_edits\":\(total),\"typing_seconds\":\(wall),\"typing_cpu_percent\":\(percent)}")
        } else {
            print("history       \(edits) edits, document \(doc.count) characters")
            print("open_ms       \(String(format: "%.1f", open.ms))   read + check + rebuild with full history (median of \(runs))")
            print("sidecar_bytes \(size)")
            print("typing        \(total) edits at \(rate)/s over \(String(format: "%.1f", wall)) s: \(String(format: "%.2f", percent))% of one core (edit, log record, fsync every 50 ms)")
        }
    }

    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}

extension Duration {
    var seconds: Double { ms / 1000 }
}
