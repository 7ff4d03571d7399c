import ArgumentParser
import Foundation
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeaveSession
import WeaveStore
import WeaveTrace

/// `weave-bench open-history`: opening a document with a long history, with
/// and without its stored state (issue 34), on a trace and on the trace
/// repeated.
struct BenchOpenHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open-history",
        abstract: "Measure opening a long history: weave show and the editor's first screen, with and without a stored state.",
        discussion: """
        Builds the document of a sequential trace (automerge-paper: 259,778 edits) and of the \
        trace repeated --repeat times (each copy typed after the text of the ones before: \
        --repeat x the edits, --repeat x the text), and writes each twice in a temporary \
        folder: as a format-1 history (a snapshot of the log, no state: what Weave wrote \
        before) and as format 2 (the same plus a state record of the text, docs/OPLOG.md). \
        Then, each in a fresh process, measured from spawn to exit (median of --runs): \
        show: `weave show FILE` (the weave binary beside this one) with its output to \
        /dev/null; open: `EditorSession(path:)` and the first 80x24 screen, as \
        `weave edit FILE` does before it waits for keys; spawn: a process that does \
        nothing (the floor under both). In this process (where the time goes): \
        read_ms (the file read), state_ms (`OpLog.currentState`: records checked, text \
        inflated), parse_ms (`OpLog.load(lazyHistory: true)`, as the editor opens: records \
        decoded into the log, the snapshot's edits read and checked but left encoded), \
        replay_ms (the document built from the log), history_ms (the edits built when time \
        travel or blame first asks: `LoadedLog.loadHistory`). Target (issue 34): show and open \
        <= 50 ms on the trace. Run in release: \
        swift build -c release --product weave-bench --product weave
        """)

    @Option(help: "A sequential editing trace (default: automerge-paper from $WEAVE_TRACES or ../shared/traces).")
    var trace: String?

    @Option(help: "Also measure the trace repeated this many times (1: skip).")
    var `repeat` = 10

    @Option(help: "Runs of each child process (the median is printed).")
    var runs = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    /// Internal: one step in a child process (`--child STEP --file FILE`).
    @OptionGroup var step: ChildStep

    func run() throws {
        if let child = step.step { return try runChild(child, step.file) }
        guard let path = automergePaperTrace(trace) else { throw BenchFailure("no trace: pass --trace FILE") }
        let base = try EditingTrace.load(path: path)
        try withBenchFolder("open-history") { dir in try measure(base, in: dir) }
    }

    /// The measurement of `base` (and it repeated), with its files in `dir`.
    func measure(_ base: EditingTrace, in dir: String) throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        guard FileManager.default.isExecutableFile(atPath: CommandTiming.weave) else {
            throw BenchFailure("no weave binary beside this one (\(CommandTiming.weave)): swift build -c release --product weave")
        }
        let spawn = try median { try CommandTiming.measure(executable: me, args: ["open-history", "--child", "noop"]) }
        var rows: [String: Double] = ["spawn_ms": spawn.seconds * 1000]
        var lines = ["spawn          \(ms(spawn.seconds)) ms  (a process that does nothing)"]
        for times in Set([1, max(1, `repeat`)]).sorted() {
            let t = try Self.repeated(base, times)
            let (_, history, doc) = try t.history()
            let text = doc.text
            let name = times == 1 ? "trace" : "trace_x\(times)"
            lines.append("\(name): \(history.edits.count) edits, \(doc.count) characters, \(doc.elementCount) elements")
            rows["\(name)_edits"] = Double(history.edits.count)
            for withState in [false, true] {
                let file = dir + "/\(name)-\(withState ? "state" : "log").txt"
                let sidecar = OpLog.sidecarPath(for: file)
                try OpLog.write(path: sidecar, log: doc.log, history: history,
                                textMark: TextMark(text: text, edits: history.edits.count),
                                state: withState ? StateSnapshot(of: doc, history: history) : nil)
                try AtomicFile.write(file, Array(text.utf8))
                let kind = withState ? "state" : "log"
                let bytes = (try? FileManager.default.attributesOfItem(atPath: sidecar)[.size] as? Int) ?? 0
                // In this process: where the time goes.
                var t0 = ContinuousClock.now
                let raw = [UInt8](FileManager.default.contents(atPath: sidecar) ?? Data())
                let read = ContinuousClock.now - t0
                t0 = ContinuousClock.now
                let state = try OpLog.currentState(path: sidecar)
                let stateTime = ContinuousClock.now - t0
                if withState {
                    guard state?.text == Array(text.utf8) else { throw BenchFailure("\(name): the state is not the text") }
                } else if state != nil {
                    throw BenchFailure("\(name): a state in a history written without one")
                }
                t0 = ContinuousClock.now
                var loaded = try OpLog.load(path: sidecar, lazyHistory: true)
                let parse = ContinuousClock.now - t0
                t0 = ContinuousClock.now
                let replayed = try loaded.document(as: ReplicaID(0))
                let replay = ContinuousClock.now - t0
                guard replayed.count == doc.count else { throw BenchFailure("\(name): the log makes another text") }
                t0 = ContinuousClock.now
                loaded.loadHistory()
                let built = ContinuousClock.now - t0
                guard loaded.history.edits.count == history.edits.count else { throw BenchFailure("\(name): the history has another edit count") }
                let show = try median { try CommandTiming.measure(["show", file]) }
                let open = try median { try CommandTiming.measure(executable: me, args: ["open-history", "--child", "open", "--file", file]) }
                guard show.status == 0, open.status == 0 else { throw BenchFailure("\(name) \(kind): show exit \(show.status), open exit \(open.status)") }
                let key = "\(name)_\(kind)"
                rows["\(key)_history_bytes"] = Double(bytes)
                rows["\(key)_show_ms"] = show.seconds * 1000
                rows["\(key)_open_ms"] = open.seconds * 1000
                rows["\(key)_read_ms"] = read.ms
                rows["\(key)_state_ms"] = stateTime.ms
                rows["\(key)_parse_ms"] = parse.ms
                rows["\(key)_replay_ms"] = replay.ms
                rows["\(key)_history_ms"] = built.ms
                lines.append("  \(kind.padding(toLength: 6, withPad: " ", startingAt: 0)) history \(bytes) bytes (\(raw.count) read)  show \(ms(show.seconds)) ms  open \(ms(open.seconds)) ms"
                    + "   in process: read \(String(format: "%.1f", read.ms)), state \(String(format: "%.1f", stateTime.ms)), parse \(String(format: "%.1f", parse.ms)), replay \(String(format: "%.1f", replay.ms)), history \(String(format: "%.1f", built.ms)) ms")
            }
        }
        lines.append("target         show and open <= 50 ms on the trace (issue 34)")
        if json {
            print("{" + rows.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(String(format: "%.3f", $0.value))" }.joined(separator: ",") + "}")
        } else {
            lines.forEach { print($0) }
        }
    }

    /// The median run of `body`, `runs` times.
    func median(_ body: () throws -> CommandTiming.Measured) throws -> CommandTiming.Measured {
        var all: [CommandTiming.Measured] = []
        for _ in 0 ..< max(1, runs) { all.append(try body()) }
        return all.sorted { $0.seconds < $1.seconds }[all.count / 2]
    }

    func ms(_ seconds: Double) -> String { String(format: "%7.1f", seconds * 1000) }

    /// A child step: `noop`, or `open` (the editor on FILE to its first screen).
    func runChild(_ step: String, _ file: String?) throws {
        switch step {
        case "noop":
            return
        case "open":
            guard let file else { throw BenchFailure("open needs --file") }
            try openToFirstScreen(file)
        default:
            throw BenchFailure("unknown step \(step)")
        }
    }

    /// A sequential trace typed `times` times, each copy after the text of the
    /// ones before (its positions moved by that text's length).
    static func repeated(_ t: EditingTrace, _ times: Int) throws -> EditingTrace {
        guard times > 1 else { return t }
        guard t.kind == .sequential, t.startContent.isEmpty else {
            throw BenchFailure("--repeat needs a sequential trace that starts empty")
        }
        let length = t.endContent.unicodeScalars.count
        var transactions: [EditingTrace.Transaction] = []
        transactions.reserveCapacity(t.transactions.count * times)
        for k in 0 ..< times {
            for var tx in t.transactions {
                for i in tx.patches.indices { tx.patches[i].position += k * length }
                transactions.append(tx)
            }
        }
        return EditingTrace(kind: .sequential, numAgents: t.numAgents, startContent: "",
                            endContent: String(repeating: t.endContent, count: times), transactions: transactions)
    }
}
