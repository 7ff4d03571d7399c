import ArgumentParser
import WeaveCore
import WeaveHistory
import WeaveStore

/// `weave bench-history FILE`: the cost of time travel on a document's history.
struct BenchHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-history",
        abstract: "Measure seeking through a document's history.",
        discussion: """
        build_ms: building the timeline from the history (once, when the pane opens). \
        seek: producing the whole text after N edits for --seeks random N (median and worst). \
        timeline_mb: the timeline's arrays; document_mb: the replica's own arrays. \
        Run in release: swift run -c release weave bench-history FILE
        """)

    @Argument(help: "A document with a history, e.g. one made by `weave import`.")
    var file: String

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
        var state = seed
        var times: [Duration] = []
        var checksum = 0
        for _ in 0 ..< seeks {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let n = Int((z ^ (z >> 31)) % UInt64(timeline.editCount + 1))
            let t0 = ContinuousClock.now
            checksum &+= timeline.scalars(after: n).count
            times.append(ContinuousClock.now - t0)
        }
        times.sort()
        let timelineBytes = timeline.scalars.count * (4 + 4 + 4 + 2)
        print("history       \(timeline.editCount) edits, \(timeline.scalars.count) elements (checksum \(checksum))")
        print("build_ms      \(String(format: "%.1f", build.ms))")
        print("seek_ms       median \(String(format: "%.3f", times[times.count / 2].ms)), worst \(String(format: "%.3f", times.last!.ms)) over \(seeks) random points (whole text after N edits)")
        print("timeline_mb   \(String(format: "%.2f", Double(timelineBytes) / 1_048_576))   document_mb \(String(format: "%.2f", Double(doc.estimatedMemoryBytes) / 1_048_576))")
    }
}
