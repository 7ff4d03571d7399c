import Foundation
import ArgumentParser
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeaveStore

/// `weave-bench history FILE`: the cost of time travel on a document's history.
struct BenchHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Measure seeking through a document's history.",
        discussion: """
        build_ms: building the timeline from the history (once, when the pane opens). \
        seek: producing the whole text after N edits for --seeks random N (median and worst). \
        play: rendering the time-travel pane (100x30 Grid) for 600 consecutive steps, as playing \
        at 60 steps a second does; frames slower than 16.7 ms would be dropped. \
        timeline_mb: the timeline's arrays; document_mb: the replica's own arrays. \
        Then the history commands, run for real (the weave binary beside this one, output \
        read through a pipe): log, log --edits, blame, diff --from half, show --at half, each \
        its wall time and lines printed. Targets on automerge-paper: log <= 2 s with more \
        than 100 bursts, log --edits <= 5 s. \
        Run in release: swift run -c release weave-bench history FILE
        """)

    @Flag(help: "Skip running the weave history commands.")
    var noCommands = false

    @Argument(help: "A document with a history, e.g. one made by `weave import`.")
    var file: String

    @Option(help: "Also re-time the history as one author writing over this many months (0: skip) and check that weave log splits it into its writing sessions.")
    var months = 3

    @Option(help: "Random points to seek to.")
    var seeks = 1000

    @Option(help: "Seed for the random points.")
    var seed: UInt64 = 1

    func run() throws {
        let loaded = try OpLog.load(path: OpLog.sidecarPath(for: file))
        let doc = try loaded.document(as: ReplicaID(0))
        let start = ContinuousClock.now
        let timeline = Timeline(doc: doc, history: loaded.history)
        let build = ContinuousClock.now - start
        var rng = SplitMix64(seed: seed)
        var times: [Duration] = []
        var checksum = 0
        for _ in 0 ..< seeks {
            let n = Int(rng.next() % UInt64(timeline.editCount + 1))
            let t0 = ContinuousClock.now
            checksum &+= timeline.scalars(after: n).count
            times.append(ContinuousClock.now - t0)
        }
        times.sort()
        // Playback: 600 steps from a random point, one pane render each.
        var view = TimeTravelView(timeline: timeline)
        view.scrubber = Scrubber(edits: timeline.editCount, position: timeline.editCount / 2)
        var frames: [Double] = []
        for _ in 0 ..< 600 {
            let t0 = ContinuousClock.now
            view.scrubber.apply(.forward)
            var grid = Grid(width: 100, height: 30)
            view.render(into: &grid, top: 0, height: 30)
            frames.append((ContinuousClock.now - t0).ms)
        }
        frames.sort()
        let dropped = frames.filter { $0 > 1000.0 / 60 }.count
        let timelineBytes = timeline.scalars.count * (4 + 4 + 4 + 2)
        print("history       \(timeline.editCount) edits, \(timeline.scalars.count) elements (checksum \(checksum))")
        print("build_ms      \(String(format: "%.1f", build.ms))")
        print("seek_ms       median \(String(format: "%.3f", times[times.count / 2].ms)), worst \(String(format: "%.3f", times.last!.ms)) over \(seeks) random points (whole text after N edits)")
        print("play_ms       per frame median \(String(format: "%.2f", frames[frames.count / 2])), p99 \(String(format: "%.2f", frames[frames.count * 99 / 100])), worst \(String(format: "%.2f", frames.last!)); \(dropped) of 600 over 16.7 ms (60 steps/s)")
        print("timeline_mb   \(String(format: "%.2f", Double(timelineBytes) / 1_048_576))   document_mb \(String(format: "%.2f", Double(doc.estimatedMemoryBytes) / 1_048_576))")
        guard !noCommands else { return }
        let half = String(timeline.editCount / 2)
        var failed = false
        for (name, args) in [("log", ["log", file]), ("log_edits", ["log", "--edits", file]), ("blame", ["blame", file]),
                             ("diff", ["diff", file, "--from", half]), ("show", ["show", file, "--at", half])] {
            let r = try CommandTiming.run(args)
            print("\(name.padding(toLength: 13, withPad: " ", startingAt: 0))\(String(format: "%.3f", r.seconds)) s, \(r.lines) lines (weave \(args.joined(separator: " ")))")
            if r.status != 0 { print("  exit status \(r.status)"); failed = true }
        }
        if failed { throw ExitCode(1) }
        if months > 0 { try writingSessions(loaded.history, doc: doc) }
    }

    /// The same edits as one author writing over `months` months: sessions of
    /// consecutive edits (one every 0.15-0.9 s: no pause within reaches the 60 s
    /// gap) on about half the days, 8 hours or more apart. `weave log` must
    /// print at least one line per session and no line may span two sessions
    /// (its bursts also end where the author jumps elsewhere in the text).
    func writingSessions(_ history: History, doc: RGA) throws {
        var rng = SplitMix64(seed: seed &+ 99)
        let days = months * 30, sessions = max(1, days / 2)
        let per = max(1, history.edits.count / sessions)
        var retimed = history
        var sessionStart: [Int] = []  // first edit (0-based) of each session
        var t: Int64 = 1_756_000_000_000  // 2025-08-24, 01:46 UTC
        for i in retimed.edits.indices {
            if i % per == 0, sessionStart.count < sessions {
                if !sessionStart.isEmpty { t += Int64(8 * 3600 + Int(rng.next() % UInt64(40 * 3600))) * 1000 }
                sessionStart.append(i)
            } else {
                t += 150 + Int64(rng.next() % 750)
            }
            retimed.edits[i].time = t
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weave-bench-months-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/novel.txt"
        try doc.text.write(toFile: file, atomically: true, encoding: .utf8)
        try OpLog.write(path: OpLog.sidecarPath(for: file), ops: doc.operations(since: VersionVector()), history: retimed, textMark: nil)
        let r = try CommandTiming.run(["log", file])
        // Each line starts "A-B" (1-based edit numbers) or "A": the burst's edits.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandTiming.weave)
        p.arguments = ["log", file]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        func session(of edit: Int) -> Int { (sessionStart.lastIndex { $0 <= edit })! }
        var spanning = 0
        for line in text.split(separator: "\n") {
            let range = line.split(separator: "\t").first.map { $0.split(separator: "-").compactMap { Int($0) } } ?? []
            guard let a = range.first else { continue }
            if session(of: a - 1) != session(of: (range.last ?? a) - 1) { spanning += 1 }
        }
        print("three_months  \(sessions) writing sessions over \(days) days -> weave log printed \(r.lines) bursts in \(String(format: "%.3f", r.seconds)) s; \(spanning) span two sessions")
        guard r.status == 0, r.lines >= sessions, spanning == 0 else {
            throw BenchFailure("three months: \(r.lines) bursts for \(sessions) sessions, \(spanning) spanning two")
        }
    }
}
