import ArgumentParser
import Foundation
import WeaveTrace

/// `weave-bench trace-stats`: the shape of editing traces (issue 34), measured
/// alike for real and generated ones (`TraceStatistics`): transaction sizes,
/// typing and delete runs, cursor jumps, concurrency, final length.
struct TraceStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace-stats",
        abstract: "Print the statistics of editing traces (runs, deletes, jumps, concurrency).",
        discussion: """
        For each trace (.json or .json.gz, sequential or concurrent): patches and \
        transactions, patches per transaction, insert runs (consecutive typed characters at \
        advancing positions) and delete runs, the delete share, cursor jumps (edits not where \
        the agent's last edit left its cursor) and their distance, the final length against \
        what was inserted, and for concurrent traces the merges, forks, transactions made \
        without every earlier one, and the branch lengths met at each merge (transactions \
        each side had that the other did not). Distributions: n, mean, p50, p90, p99, max, \
        and the share in power-of-two buckets.
        """)

    @Argument(help: "Trace files.")
    var traces: [String]

    func run() throws {
        for (i, path) in traces.enumerated() {
            let trace: EditingTrace
            do { trace = try EditingTrace.load(path: path) } catch { throw BenchFailure(String(describing: error)) }
            if i > 0 { print("") }
            print("== \((path as NSString).lastPathComponent)")
            print(TraceStatistics(trace).report)
        }
    }
}
