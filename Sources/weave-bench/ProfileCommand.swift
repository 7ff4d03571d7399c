import ArgumentParser
import Foundation
import WeaveCore
import WeaveTrace

/// `weave-bench profile PHASE`: one phase of `core`, repeated, for profilers
/// and instruction counts (docs/INTERNALS.md, "Where the time goes").
struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Repeat one core phase (for perf, valgrind --tool=callgrind).",
        discussion: """
        Loads the trace (untimed), then runs PHASE --times times and prints the median \
        time. Each phase is its own non-inlined function, so callgrind can count just it: \
        valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiledReplay*' \
        .build/release/weave-bench profile replay --trace FILE --times 1 \
        (profiledReplay, profiledMerge, profiledMergeBytes, profiledWalk).
        """)

    enum Phase: String, ExpressibleByArgument { case replay, merge, mergeBytes = "merge-bytes", walk }

    @Argument(help: "replay (every patch as a local edit), merge (operations into a fresh replica), merge-bytes (decode + merge + text), walk (a concurrent trace through the graph walker).")
    var phase: Phase

    @Option(help: "An editing trace (.json or .json.gz).")
    var trace: String

    @Option(help: "Repetitions.")
    var times = 10

    func run() throws {
        let loaded = try EditingTrace.load(path: trace)
        let doc = try loaded.replay()
        let ops = doc.operations(since: VersionVector())
        let bytes = OpCodec.encode(doc.log)
        var durations: [Duration] = []
        var check = 0
        for _ in 0 ..< times {
            let clock = ContinuousClock.now
            switch phase {
            case .replay: check &+= profiledReplay(loaded)
            case .merge: check &+= try profiledMerge(ops)
            case .mergeBytes: check &+= try profiledMergeBytes(bytes)
            case .walk: check &+= try profiledWalk(loaded)
            }
            durations.append(ContinuousClock.now - clock)
        }
        guard check == doc.count * times else { throw BenchFailure("\(phase.rawValue) did not reach the document's length") }
        print("\(phase.rawValue): median \(String(format: "%.2f", median(durations).ms)) ms over \(times) (\(loaded.patchCount) patches, \(ops.count) operations, \(bytes.count) bytes)")
    }
}

@inline(never) func profiledReplay(_ t: EditingTrace) -> Int { t.replaySequential().count }
@inline(never) func profiledWalk(_ t: EditingTrace) throws -> Int { try t.walk().document.count }
@inline(never) func profiledMerge(_ ops: [WeaveCore.Operation]) throws -> Int {
    var fresh = RGA(replica: ReplicaID(0xFEED))
    try fresh.receive(contentsOf: ops)
    return fresh.count
}
@inline(never) func profiledMergeBytes(_ bytes: [UInt8]) throws -> Int { try mergeFromBytes(bytes).unicodeScalars.count }
