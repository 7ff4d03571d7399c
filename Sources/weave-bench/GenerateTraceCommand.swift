import ArgumentParser
import Foundation
import WeaveTrace

/// `weave-bench generate-trace`: writes a generated history as a trace file,
/// for `weave import`, `weave-bench core --trace` and compare.sh.
struct GenerateTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-trace",
        abstract: "Write a generated editing history as a trace file (JSON).",
        discussion: """
        --shape concurrent (the default): --agents authors on short branches forked from a \
        main line (sometimes from another open branch), pulling the main line or another \
        branch in now and then, and merging back (TraceGenerator, seeded); single characters \
        and short random-letter edits. linear: one author, --patches patches of about 27 \
        random-letter characters each.

        The shapes after issue 34 type like people: runs of typing and deleting, and cursor \
        jumps, drawn from what `weave-bench trace-stats` measured on automerge-paper \
        (TypingModel.essay), in word-like text. many-authors: --agents (204) authors, \
        --transactions (955) transactions, --patches (53,000) patches, each patch a whole run; \
        up to --open-branches (8) long branches at once, ~4 transactions each, interleaved \
        with commits straight on the main line. one-author: --patches (138,000) patches, one \
        per transaction, each a keystroke (--chunk 1) or a piece of a run of --chunk \
        characters on average. Benchmarks/README.md gives the statistics each shape targets \
        and gets. endContent is the merge (the text). The file is in the editing-traces \
        format (concurrent: kind, numAgents, txns with parents and agent).
        """)

    @Option(help: "Authors (default 200; many-authors: 204).")
    var agents: Int?

    @Option(help: "Patches, about (default 50,000; many-authors: 53,000; one-author: 138,000).")
    var patches: Int?

    @Option(help: "many-authors: transactions.")
    var transactions = 955

    @Option(help: "concurrent: mean patches per transaction.")
    var patchesPerTransaction = 20

    @Option(help: "Most branches open at once (default 8).")
    var openBranches = 8

    @Option(help: "one-author: mean characters per patch (1: keystrokes).")
    var chunk = 1

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    enum Shape: String, ExpressibleByArgument { case concurrent, linear, manyAuthors = "many-authors", oneAuthor = "one-author" }

    @Option(help: "concurrent, linear, many-authors or one-author (see above).")
    var shape = Shape.concurrent

    @Option(help: "Where to write the trace (.json).")
    var out: String

    func run() throws {
        let trace: EditingTrace
        switch shape {
        case .concurrent:
            let p = patches ?? 50_000
            trace = try TraceGenerator(agents: agents ?? 200, transactions: max(1, p / patchesPerTransaction),
                                       patchesPerTransaction: patchesPerTransaction, openBranches: openBranches, seed: seed).generate()
        case .linear:
            trace = TraceGenerator.longLinear(patches: patches ?? 50_000, seed: seed)
        case .manyAuthors:
            let p = patches ?? 53_000
            guard p >= transactions, transactions >= 1, (agents ?? 204) >= 2 else {
                throw ValidationError("many-authors needs --agents ≥ 2 and --patches ≥ --transactions ≥ 1")
            }
            trace = try TraceGenerator.manyAuthors(agents: agents ?? 204, transactions: transactions, patches: p,
                                                   openBranches: max(1, openBranches), seed: seed)
        case .oneAuthor:
            trace = try TraceGenerator.oneAuthor(patches: max(1, patches ?? 138_000), chunk: max(1, chunk), seed: seed)
        }
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
