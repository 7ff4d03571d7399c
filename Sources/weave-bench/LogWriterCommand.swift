#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import WeaveCore
import WeaveStore

/// `weave-bench log-writer FILE`: appends edits to a document's history as fast
/// as it can, printing `durable EDITS CHARACTERS` after each fsync — the child
/// that the crash-safety tests kill with SIGKILL.
struct LogWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-writer",
        abstract: "Append edits to FILE's history as fast as possible, printing what is durable (the crash tests' child).")

    @Argument var file: String
    @Option var edits: Int = 1_000_000
    @Option var batch: Int = 7

    func run() throws {
        let store = try StoredDocument(file: file, author: "crash-test")
        var made = 0
        while made < edits {
            for _ in 0 ..< batch {
                let n = store.doc.count
                let op = n > 0 && made % 5 == 4 ? store.doc.delete(at: n / 2, length: 1)! : store.doc.insert("e\(made) ", at: n)!
                store.record([op])
                made += 1
            }
            try store.flush()
            print("durable \(store.history.edits.count) \(store.doc.count)")
            fflush(stdout)
        }
    }
}
