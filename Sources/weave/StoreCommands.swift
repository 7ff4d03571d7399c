#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import WeaveCore
import WeaveHistory
import WeaveStore
import WeaveTrace

/// `weave import TRACE --to FILE`: an editing trace becomes a document with its
/// full history, each agent an author.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn an editing trace into a document with its full history.")

    @Argument(help: "An editing trace (.json or .json.gz, sequential or concurrent).")
    var trace: String

    @Option(help: "The text file to create (its history goes beside it as .FILE.weave).")
    var to: String

    func run() throws {
        let sidecar = OpLog.sidecarPath(for: to)
        for path in [to, sidecar] where fileExists(path) {
            throw ValidationFailure("\(path) already exists; import writes a new document only")
        }
        // Read one transaction at a time, the trace's JSON freed on return
        // (issue 34: holding the parsed trace was most of the peak memory).
        let history: History, doc: RGA
        do { (history, doc) = try EditingTrace.importHistory(path: trace) } catch { throw ValidationFailure("\(error)") }
        let text = doc.text
        do {
            // Encoded from the document's log (the same bytes as its operations'), no copy of them.
            try OpLog.write(path: sidecar, log: doc.log, history: history, textMark: TextMark(text: text, edits: history.edits.count),
                            state: StateSnapshot(of: doc, history: history))
            try writeTextFile(to, text)
        } catch { throw ValidationFailure("\(error)") }
        print("imported \(counted(history.edits.count, "edit")) by \(counted(history.authors.count, "author")) into \(to) (\(counted(doc.count, "character")); history in \(sidecar))")
    }
}

/// `weave recover FILE`: keeps the valid part of a damaged history.
struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a damaged history from its valid part (and restore a missing file).")

    @Argument(help: "The text file whose history (.FILE.weave) is damaged.")
    var file: String

    func run() throws {
        do {
            let r = try Recovery.recover(file: file)
            print("kept \(counted(r.keptEdits, "edit")); dropped \(counted(r.droppedBytes, "damaged byte", plural: "damaged bytes")); the old history is in \(r.damagedCopy ?? "-")")
            if r.restoredFile { print("restored \(file) from its history") }
            if r.importedDiskChange { print("\(file) differed from its history: its text is kept as an edit by \"disk\"") }
        } catch { throw ValidationFailure("\(error)") }
    }
}
