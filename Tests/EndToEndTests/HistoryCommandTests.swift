import Foundation
import Testing
import WeaveStore
import WeaveTestSupport

/// `weave log` fits its lines to the terminal (80 columns through a pipe) and
/// `weave diff FILE` without `--from` shows what changed since the last save
/// (issue 33's polish).
@Suite(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
struct HistoryCommandTests {
    func run(_ args: [String], in dir: String) throws -> (status: Int32, output: String) {
        try Tmux.run(["sh", "-c", "cd '\(dir)' && '\(try Tmux.weaveBinary())' " + args.map { "'\($0)'" }.joined(separator: " ") + " 2>&1 </dev/null"])
    }

    /// A history with a long author name and long insertions: one edit of
    /// 200 characters, saved, then "ADDED" typed after the save.
    func makeHistory(in dir: TempDir) throws {
        let file = dir.file("h.txt")
        try "".write(toFile: file, atomically: false, encoding: .utf8)
        let s = try StoredDocument(file: file, author: "Bartholomew Fitzwilliam the Third")
        let long = String(repeating: "a long line of text\n", count: 10)
        s.record([s.doc.insert(long, at: 0)!])
        try s.savePlainText()
        s.record([s.doc.insert("ADDED", at: 0)!])
        try s.flush()
    }

    /// The column after each line on a terminal with tab stops every 8.
    static func columns(_ line: Substring) -> Int {
        var x = 0
        for u in line.unicodeScalars { x = u == "\t" ? (x / 8 + 1) * 8 : x + 1 }
        return x
    }

    @Test func logLinesFitEightyColumns() throws {
        let dir = try TempDir("log")
        try makeHistory(in: dir)
        let r = try run(["log", "--edits", "h.txt"], in: dir.path)
        #expect(r.status == 0, "\(r.output)")
        let lines = r.output.split(separator: "\n")
        #expect(lines.count == 2, "\(r.output)")
        for line in lines { #expect(Self.columns(line) <= 79, "\(Self.columns(line)) columns: \(line)") }
        #expect(lines.first?.contains("…\"") == true, "the long insertion is cut with …: \(r.output)")
        #expect(lines.first?.contains("Bartholomew Fit…") == true, "a long name is cut to 16: \(r.output)")
        let wide = try run(["log", "--edits", "--width", "300", "h.txt"], in: dir.path)
        #expect(wide.output.contains(String(repeating: "a long line of text\\n", count: 10)), "\(wide.output)")
    }

    @Test func diffWithoutFromShowsTheChangesSinceTheLastSave() throws {
        let dir = try TempDir("diff")
        try makeHistory(in: dir)
        let r = try run(["diff", "h.txt"], in: dir.path)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.hasPrefix("{+ADDED+}a long line of text\n"), "\(r.output)")
        #expect(!r.output.contains("{+a long"), "the saved text is not new: \(r.output)")
    }
}
