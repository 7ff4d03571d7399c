import ArgumentParser
import Foundation
import WeaveCore
import WeaveHistory
import WeaveStore

/// Reads a document's history without changing anything: the document it
/// makes (its log holding the history's own storage) and the history.
func loadDocument(_ file: String) throws -> (doc: RGA, history: History) {
    let sidecar = OpLog.sidecarPath(for: file)
    guard fileExists(sidecar) else {
        throw ValidationFailure("\(file) has no history (\(sidecar) not found); edit it with `weave edit` or make one with `weave import`")
    }
    do {
        let loaded = try OpLog.load(path: sidecar)
        return (try loaded.document(as: ReplicaID(0)), loaded.history)
    } catch {
        throw ValidationFailure("\(error)")
    }
}

/// Reads a document's history without changing anything, as a timeline
/// (16 bytes per element ever inserted, besides the document).
func loadTimeline(_ file: String) throws -> Timeline {
    let (doc, history) = try loadDocument(file)
    return Timeline(doc: doc, history: history)
}

func formatTime(_ ms: Int64) -> String { formatUTC(milliseconds: ms) }

/// Shows a stretch of text on one line: newlines and tabs visible, long text cut.
func quoted(_ s: String, limit: Int = 40) -> String {
    var out = ""
    for ch in s.unicodeScalars.prefix(limit) {
        switch ch {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\"": out += "\\\""
        default: out.unicodeScalars.append(ch)
        }
    }
    return "\"" + out + (s.unicodeScalars.count > limit ? "…" : "") + "\""
}

/// Validates an edit index against a timeline.
func checkPoint(_ n: Int, _ t: Timeline, _ flag: String) throws {
    guard n >= 0 && n <= t.editCount else {
        throw ValidationFailure("\(flag) \(n) is outside the history: it has \(counted(t.editCount, "edit")) (use 0…\(t.editCount))")
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a document's history: one line per burst (or per edit with --edits).")

    @Argument(help: "A text file with a history.") var file: String
    @Flag(help: "One line per edit instead of per burst of one author's edits.") var edits = false
    @Option(parsing: .unconditional, help: "Seconds of pause that end a burst (bursts also end when the author or the place changes).") var gap: Double = 60

    mutating func validate() throws {
        try NumericOption.checkSeconds("--gap", gap, atLeast: 0, atMost: NumericOption.maxGap)
    }

    func run() throws {
        let t = try loadTimeline(file)
        let index = ChangeIndex(t)
        let ranges = edits ? (0 ..< t.editCount).map { $0 ..< $0 + 1 } : t.bursts(gap: Int64(gap * 1000), index: index)
        var out = ""
        out.reserveCapacity(ranges.count * 64)
        for r in ranges {
            out += Log.line(r, t, index)
            out += "\n"
            if out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// One line of the log: edit indexes, time, author's name, what was inserted
    /// and deleted (each in document order), and whether it was concurrent.
    static func line(_ r: Range<Int>, _ t: Timeline, _ index: ChangeIndex) -> String {
        let first = t.history.edits[r.lowerBound]
        let who = first.author.map { t.history.name(of: $0) } ?? "?"
        let c = t.change(of: r, index: index)
        var what: [String] = []
        if !c.inserted.isEmpty { what.append("+\(quoted(c.inserted))") }
        if !c.deleted.isEmpty { what.append("-\(quoted(c.deleted))") }
        let span = r.count == 1 ? "\(r.lowerBound + 1)" : "\(r.lowerBound + 1)-\(r.upperBound)"
        let mark = r.contains { t.concurrent[$0] } ? "  (concurrent)" : ""
        return "\(span)\t\(formatTime(first.time))\t\(who)\t\(what.joined(separator: " "))\(mark)"
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the text after the first N edits (the latest without --at).")

    @Argument(help: "A text file with a history.") var file: String
    @Option(parsing: .unconditional, help: "How many edits, in this replica's order (0 = the empty start).") var at: Int?

    func run() throws {
        let (doc, history) = try loadDocument(file)
        let n = at ?? history.edits.count
        guard n >= 0 && n <= history.edits.count else {
            throw ValidationFailure("--at \(n) is outside the history: it has \(counted(history.edits.count, "edit")) (use 0…\(history.edits.count))")
        }
        if n == history.edits.count && history.version(after: n) == doc.version {
            // The latest text, when the edits cover the whole log: the
            // document's visible text, written from its scalars (no timeline,
            // no String of it; for a file opened once, the log's own bytes).
            doc.visibleScalars.forEachUTF8Chunk { piece in
                FileHandle.standardOutput.write(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: piece.baseAddress!),
                                                     count: piece.count, deallocator: .none))
            }
            return
        }
        let t = Timeline(doc: doc, history: history)
        FileHandle.standardOutput.write(Data(t.text(after: n).utf8))
    }
}

struct Blame: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print each line with the authors who wrote it.")

    @Argument(help: "A text file with a history.") var file: String
    @Option(parsing: .unconditional, help: "Blame the text after N edits instead of the latest.") var at: Int?

    func run() throws {
        let t = try loadTimeline(file)
        let n = at ?? t.editCount
        try checkPoint(n, t, "--at")
        let lines = t.blame(after: n)
        let names = lines.map { authorList($0.authors.map { t.history.name(of: $0) }, width: 24) }
        let width = names.map(\.count).max() ?? 0
        var out = ""
        for (i, l) in lines.enumerated() {
            out += names[i].padding(toLength: width, withPad: " ", startingAt: 0) + " | " + l.line + "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two points: [-deleted-] and {+inserted+}.")

    @Argument(help: "A text file with a history.") var file: String
    @Option(parsing: .unconditional, help: "From the text after this many edits.") var from: Int
    @Option(parsing: .unconditional, help: "To the text after this many edits (the latest by default).") var to: Int?

    func run() throws {
        let t = try loadTimeline(file)
        let b = to ?? t.editCount
        try checkPoint(from, t, "--from")
        try checkPoint(b, t, "--to")
        var out = ""
        for piece in t.diff(from: from, to: b) {
            switch piece {
            case .same(let s): out += s
            case .inserted(let s): out += "{+" + s + "+}"
            case .deleted(let s): out += "[-" + s + "-]"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if !out.hasSuffix("\n") { print() }
    }
}
