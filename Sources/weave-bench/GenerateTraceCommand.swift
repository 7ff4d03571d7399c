import ArgumentParser
import Foundation
import WeaveTrace

/// `weave-bench generate-trace`: writes a generated concurrent history as a
/// trace file, for `weave import`, `weave-bench core --trace` and compare.sh.
struct GenerateTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-trace",
        abstract: "Write a generated many-agent concurrent history as a trace file (JSON).",
        discussion: """
        The history: --agents authors on short branches forked from a main line (sometimes \
        from another open branch), pulling the main line or another branch in now and then, \
        and merging back (TraceGenerator, seeded). endContent is the merge. The file is in \
        the editing-traces concurrent format (kind, numAgents, txns with parents and agent).
        """)

    @Option(help: "Authors.")
    var agents = 200

    @Option(help: "Patches (about).")
    var patches = 50_000

    @Option(help: "Mean patches per transaction.")
    var patchesPerTransaction = 20

    @Option(help: "Most branches open at once.")
    var openBranches = 8

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    enum Shape: String, ExpressibleByArgument { case concurrent, linear }

    @Option(help: "concurrent (the branch-and-merge history above) or linear (one author, --patches patches of about 27 character edits each, like the egwalker paper's largest trace; --agents and the branch options are ignored).")
    var shape = Shape.concurrent

    @Option(help: "Where to write the trace (.json).")
    var out: String

    func run() throws {
        let g = TraceGenerator(agents: agents, transactions: max(1, patches / patchesPerTransaction),
                               patchesPerTransaction: patchesPerTransaction, openBranches: openBranches, seed: seed)
        let trace = shape == .linear ? TraceGenerator.longLinear(patches: patches, seed: seed) : try g.generate()
        do {
            try Data(trace.json()).write(to: URL(fileURLWithPath: out))
        } catch {
            throw BenchFailure("cannot write \(out): \(error.localizedDescription)")
        }
        let merges = trace.transactions.filter { $0.parents.count > 1 }.count
        let edits = trace.transactions.reduce(0) { $0 + $1.patches.reduce(0) { $0 + $1.deleted + $1.inserted.count } }
        print("wrote \(out): \(trace.numAgents) agents, \(trace.transactions.count) transactions (\(merges) merges), \(trace.patchCount) patches, \(edits) character edits, \(trace.endContent.unicodeScalars.count) scalars at the end")
    }
}
