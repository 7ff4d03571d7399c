import ArgumentParser
import Foundation
import WeaveCore
import WeaveHistory
import WeaveStore

/// Reads a document's history without changing anything.
func loadTimeline(_ file: String) throws -> Timeline {
    let sidecar = OpLog.sidecarPath(for: file)
    guard fileExists(sidecar) else {
        throw ValidationFailure("\(file) has no history (\(sidecar) not found); edit it with `weave edit` or make one with `weave import`")
    }
    do {
        let loaded = try OpLog.load(path: sidecar)
        let doc = try loaded.document(as: ReplicaID(0))
        return Timeline(doc: doc, history: loaded.history)
    } catch {
        throw ValidationFailure("\(error)")
    }
}

func formatTime(_ ms: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(ms) / 1000)
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
    return f.string(from: date)
}

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
        throw ValidationFailure("\(flag) \(n) is outside the history: it has \(t.editCount) edits (use 0…\(t.editCount))")
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a document's history: one line per burst (or per edit with --edits).")

    @Argument(help: "A text file with a history.") var file: String
    @Flag(help: "One line per edit instead of per burst of one author's edits.") var edits = false

    func run() throws {
        let t = try loadTimeline(file)
        let ranges = edits ? (0 ..< t.editCount).map { $0 ..< $0 + 1 } : t.bursts()
        for r in ranges {
            let first = t.history.edits[r.lowerBound]
            let who = first.author.map { t.history.name(of: $0) } ?? "?"
            var inserted = "", deleted = ""
            for k in r {
                let c = t.change(of: k)
                inserted += c.inserted
                deleted += c.deleted
            }
            var what: [String] = []
            if !inserted.isEmpty { what.append("+\(quoted(inserted))") }
            if !deleted.isEmpty { what.append("-\(quoted(deleted))") }
            let index = r.count == 1 ? "\(r.lowerBound + 1)" : "\(r.lowerBound + 1)-\(r.upperBound)"
            let mark = r.contains { t.concurrent[$0] } ? "  (concurrent)" : ""
            print("\(index)\t\(formatTime(first.time))\t\(who)\t\(what.joined(separator: " "))\(mark)")
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the text after the first N edits (the latest without --at).")

    @Argument(help: "A text file with a history.") var file: String
    @Option(help: "How many edits, in this replica's order (0 = the empty start).") var at: Int?

    func run() throws {
        let t = try loadTimeline(file)
        let n = at ?? t.editCount
        try checkPoint(n, t, "--at")
        FileHandle.standardOutput.write(Data(t.text(after: n).utf8))
    }
}

struct Blame: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print each line with the authors who wrote it.")

    @Argument(help: "A text file with a history.") var file: String
    @Option(help: "Blame the text after N edits instead of the latest.") var at: Int?

    func run() throws {
        let t = try loadTimeline(file)
        let n = at ?? t.editCount
        try checkPoint(n, t, "--at")
        let lines = t.blame(after: n)
        let names = lines.map { $0.authors.map { t.history.name(of: $0) }.joined(separator: ",") }
        let width = min(24, names.map(\.count).max() ?? 0)
        for (i, l) in lines.enumerated() {
            let who = names[i].padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(who) | \(l.line)")
        }
    }
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two points: [-deleted-] and {+inserted+}.")

    @Argument(help: "A text file with a history.") var file: String
    @Option(help: "From the text after this many edits.") var from: Int
    @Option(help: "To the text after this many edits (the latest by default).") var to: Int?

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
