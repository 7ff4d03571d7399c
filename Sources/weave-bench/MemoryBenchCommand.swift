import ArgumentParser
import Foundation
import WeaveCore
import WeaveTrace

/// `weave-bench memory`: bytes the editor's replica holds per character of
/// history (issue 34: ≤ 40), by the replica's own accounting and by RSS.
struct BenchMemory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Bytes per character of history held by a replica (own accounting and RSS).",
        discussion: """
        A character of history is one unit of the replica's operations: a character ever \
        inserted or ever deleted. For each --trace: the trace replayed into one replica (as \
        `weave-bench core` does). --text-mb N: a text of N MB of word-like ASCII inserted \
        into an empty replica as one edit (opening a file of that size). --typed-mb N: a \
        text typed to N MB by the one-author typing model (whole runs of typing and \
        deleting, cursor jumps: TypingModel.essay), about 1.7 characters of history per \
        character left. Printed per case: the history's characters, the replica's own \
        count (RGA.memoryUsage: live = in use, total = with arrays' spare capacity) and \
        RSS growth (after freed heap is trimmed), each also per character of history.
        """)

    @Option(help: "Editing traces to replay (repeatable).")
    var trace: [String] = []

    @Option(help: "MB of text inserted as one edit (0: none).")
    var textMb = 50

    @Option(help: "MB of text typed by the typing model (0: none).")
    var typedMb = 0

    struct Row { var name: String; var units: Int; var text: Int; var usage: MemoryUsage; var rss: Int }

    func run() throws {
        var rows: [Row] = []
        for path in trace {
            let loaded: EditingTrace
            do { loaded = try EditingTrace.load(path: path) } catch { throw BenchFailure(String(describing: error)) }
            let units = loaded.transactions.reduce(0) { $0 + $1.patches.reduce(0) { $0 + $1.deleted + $1.inserted.count } }
                + loaded.startContent.unicodeScalars.count
            trimHeap()
            let before = residentBytes()
            let doc = try loaded.replay()
            trimHeap()
            let rss = residentBytes() - before
            try loaded.verify(doc.text)
            rows.append(Row(name: (path as NSString).lastPathComponent, units: units, text: doc.count, usage: doc.memoryUsage, rss: rss))
        }
        if textMb > 0 {
            trimHeap()
            let before = residentBytes()
            var text: [Unicode.Scalar]? = TypedEdits.prose(count: textMb * 1_000_000)
            var doc = RGA(replica: ReplicaID(1))
            doc.insertUnreported(text!, at: 0)
            text = nil
            trimHeap()
            let rss = residentBytes() - before   // the text given is freed by now, unless the replica keeps it
            rows.append(Row(name: "\(textMb) MB text, one insert", units: doc.count, text: doc.count, usage: doc.memoryUsage, rss: rss))
        }
        if typedMb > 0 {
            trimHeap()
            let before = residentBytes()
            var doc = RGA(replica: ReplicaID(1))
            var typing = TypedEdits(chunk: 0, seed: 1)
            var units = 0
            let target = typedMb * 1_000_000
            while doc.count < target {
                let e = typing.next(length: doc.count)
                if e.removed > 0 { doc.deleteUnreported(at: e.position, length: e.removed) }
                if !e.inserted.isEmpty { doc.insertUnreported(e.inserted, at: e.position) }
                units += e.removed + e.inserted.count
            }
            trimHeap()
            rows.append(Row(name: "\(typedMb) MB typed", units: units, text: doc.count, usage: doc.memoryUsage, rss: residentBytes() - before))
        }
        func mb(_ b: Int) -> String { String(format: "%.1f", Double(b) / 1_048_576) }
        func per(_ b: Int, _ u: Int) -> String { String(format: "%.1f", Double(b) / Double(max(1, u))) }
        print("case | history chars | text chars | live MB | live B/char | total MB | total B/char | RSS MB | RSS B/char")
        for r in rows {
            print("\(r.name) | \(r.units) | \(r.text) | \(mb(r.usage.live)) | \(per(r.usage.live, r.units)) | \(mb(r.usage.total)) | \(per(r.usage.total, r.units)) | \(mb(r.rss)) | \(per(r.rss, r.units))")
            print("  parts (MB): tree \(mb(r.usage.tree)), elements \(mb(r.usage.elements)), history \(mb(r.usage.history)), pending \(mb(r.usage.pending)), replicas \(mb(r.usage.replicas)), spare \(mb(r.usage.spare))")
        }
    }
}
