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

/// Reads a document's history as a timeline, and how many of its edits the
/// last save of FILE held (nil when the history records no save).
func loadTimelineAndSave(_ file: String) throws -> (timeline: Timeline, savedEdits: Int?) {
    let sidecar = OpLog.sidecarPath(for: file)
    guard fileExists(sidecar) else {
        throw ValidationFailure("\(file) has no history (\(sidecar) not found); edit it with `weave edit` or make one with `weave import`")
    }
    do {
        let loaded = try OpLog.load(path: sidecar)
        return (Timeline(doc: try loaded.document(as: ReplicaID(0)), history: loaded.history), loaded.textMark?.edits)
    } catch {
        throw ValidationFailure("\(error)")
    }
}

/// The columns of the terminal on standard output, or 80 when it is not one
/// (a pipe, a file): `weave log` fits its lines to it.
func outputColumns() -> Int {
    var ws = winsize()
    guard isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col >= 40 else { return 80 }
    return Int(ws.ws_col)
}

func formatTime(_ ms: Int64) -> String { formatUTC(milliseconds: ms) }

/// Shows a stretch of text on one line: newlines and tabs visible, long text
/// cut to `limit` columns of it (an escape such as \n counts two) and "…".
func quoted(_ s: String, limit: Int = 40) -> String {
    var out = ""
    var used = 0, shown = 0
    for ch in s.unicodeScalars {
        let cost = ch == "\n" || ch == "\t" || ch == "\"" ? 2 : 1
        if used + cost > limit { break }
        used += cost
        shown += 1
        switch ch {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\"": out += "\\\""
        default: out.unicodeScalars.append(ch)
        }
    }
    return "\"" + out + (s.unicodeScalars.count > shown ? "…" : "") + "\""
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
    @Option(parsing: .unconditional, help: "Fit each line to this many columns, cutting the quoted text (default: the terminal's width, or 80).") var width: Int?
    @Option(parsing: .unconditional, help: "Seconds of pause that end a burst (bursts also end when the author or the place changes).") var gap: Double = 60

    mutating func validate() throws {
        try NumericOption.checkSeconds("--gap", gap, atLeast: 0, atMost: NumericOption.maxGap)
        if let width, width < 40 || width > 100_000 {
            throw ValidationError("--width \(width): give a number of columns from 40 to 100000")
        }
    }

    func run() throws {
        let columns = width ?? outputColumns()
        let t = try loadTimeline(file)
        let index = ChangeIndex(t)
        let ranges = edits ? (0 ..< t.editCount).map { $0 ..< $0 + 1 } : t.bursts(gap: Int64(gap * 1000), index: index)
        var out = ""
        out.reserveCapacity(ranges.count * 64)
        for r in ranges {
            out += Log.line(r, t, index, width: columns)
            out += "\n"
            if out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// One line of the log: edit indexes, time, author's name, what was inserted
    /// and deleted (each in document order), and whether it was concurrent;
    /// tab-separated, and shown within `width` columns (tabs every 8): a long
    /// name is cut to 16 characters and the quoted text to what room is left
    /// (at least 8 characters each), ending in "…".
    static func line(_ r: Range<Int>, _ t: Timeline, _ index: ChangeIndex, width: Int = 80) -> String {
        let first = t.history.edits[r.lowerBound]
        var who = first.author.map { t.history.name(of: $0) } ?? "?"
        if who.unicodeScalars.count > 16 { who = String(String.UnicodeScalarView(who.unicodeScalars.prefix(15))) + "…" }
        let c = t.change(of: r, index: index)
        let span = r.count == 1 ? "\(r.lowerBound + 1)" : "\(r.lowerBound + 1)-\(r.upperBound)"
        let mark = r.contains { t.concurrent[$0] } ? "  (concurrent)" : ""
        let head = "\(span)\t\(formatTime(first.time))\t\(who)\t"
        // Room for the quotes: the row's width (less one, so a terminal does
        // not wrap at its last column) after the head and the mark; each quote
        // costs its sign, two quote marks and a possible "…".
        let parts = [c.inserted.isEmpty ? nil : "+", c.deleted.isEmpty ? nil : "-"].compactMap { $0 }
        let room = width - 1 - Log.columns(head) - mark.count - 5 * parts.count - (parts.count - 1)
        let limit = max(8, parts.isEmpty ? 0 : room / parts.count)
        var what: [String] = []
        if !c.inserted.isEmpty { what.append("+\(quoted(c.inserted, limit: limit))") }
        if !c.deleted.isEmpty { what.append("-\(quoted(c.deleted, limit: limit))") }
        return head + what.joined(separator: " ") + mark
    }

    /// The column after `s` on a terminal with tab stops every 8 (one column a
    /// character; the names and times before the quotes are narrow).
    static func columns(_ s: String) -> Int {
        var x = 0
        for u in s.unicodeScalars { x = u == "\t" ? (x / 8 + 1) * 8 : x + 1 }
        return x
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the text after the first N edits (the latest without --at).")

    @Argument(help: "A text file with a history.") var file: String
    @Option(parsing: .unconditional, help: "How many edits, in this replica's order (0 = the empty start).") var at: Int?

    func run() throws {
        // The latest text from the history's stored state when it is current
        // (no operation decoded: docs/OPLOG.md, "State"); else from the log.
        if let state = try? OpLog.currentState(path: OpLog.sidecarPath(for: file)), at == nil || at == state.edits {
            FileHandle.standardOutput.write(Data(state.text))
            return
        }
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
        abstract: "Show what changed between two points: [-deleted-] and {+inserted+} (by default, since the last save).")

    @Argument(help: "A text file with a history.") var file: String
    @Option(parsing: .unconditional, help: "From the text after this many edits (by default: as last saved to FILE, or the empty start when it never was).") var from: Int?
    @Option(parsing: .unconditional, help: "To the text after this many edits (the latest by default).") var to: Int?

    func run() throws {
        let (t, savedEdits) = try loadTimelineAndSave(file)
        let b = to ?? t.editCount
        let from = self.from ?? min(savedEdits ?? 0, t.editCount)
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
