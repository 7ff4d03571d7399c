import WeaveCore
import WeaveHistory

/// Replace (Alt-R or Ctrl-\): asks for the text to find (Enter alone: the last
/// query), then its replacement (Enter alone: nothing, so matches are
/// deleted), then at each match, highlighted with the cursor at its start:
/// `y` replaces it, `n` skips it, `a` replaces it and all the rest without
/// asking, Esc (or Ctrl-C, Ctrl-G) stops. The message line then says
/// "Replaced N occurrences". The whole replace is one undo step (and one redo
/// step), whatever the number of matches.
///
/// Matches follow find's case rule (case-insensitive unless the query has a
/// capital) and never overlap: the search goes on after the replaced text, or
/// after a skipped match. It runs from the cursor to the end, then wraps to the
/// start and ends where it began (`ReplaceRun.stop`, anchored to the character
/// before the start, so replacements made before it do not move it), so no
/// text is visited twice and a replacement containing the query is never
/// replaced again. The current match's start is the cursor, anchored like
/// any cursor: if others' edits meanwhile changed the text there, the next
/// answer first looks for the next match from it instead of acting.
extension Editor {
    /// A replace in progress: what it looks for, where it ends, what it did.
    struct ReplaceRun: Sendable, Equatable {
        var needle: [Unicode.Scalar]
        var replacement: [Unicode.Scalar]
        /// The end of the second pass: the position just after the character
        /// before the start (`.start` when the replace began at index 0).
        var stop: Anchor
        /// Whether the search has wrapped from the end to the start.
        var wrapped = false
        /// Replacements made so far.
        var count = 0
        /// The undo steps of every replacement, recorded as one group at the end.
        var steps: [UndoHistory.Step] = []
    }

    /// The keys that start a replace.
    static func startsReplace(_ key: Key) -> Bool {
        key == .alt("r") || key == .alt("R") || key == .ctrl("\\")
    }

    /// Alt-R / Ctrl-\ in edit mode: the first question.
    mutating func askReplace() {
        undo.seal()
        mode = .prompt(Prompt(label: queryLabel("Replace"), input: [], purpose: .replaceFind))
    }

    /// The answer to the first question.
    mutating func answerReplaceFind(_ input: [Unicode.Scalar]) {
        let needle = input.isEmpty ? lastSearch : input
        guard !needle.isEmpty else { mode = .edit; message = "Cancelled"; return }
        lastSearch = needle
        let shown = String(String.UnicodeScalarView(needle))
        mode = .prompt(Prompt(label: "Replace \"\(shown)\" with", input: [], purpose: .replaceWith(needle)))
    }

    /// The answer to the second question: starts at the cursor.
    mutating func startReplace(_ needle: [Unicode.Scalar], with replacement: [Unicode.Scalar]) {
        let c = doc.cursor
        replaceRun = ReplaceRun(needle: needle, replacement: replacement, stop: c == 0 ? .start : .after(doc.rga.id(at: c - 1)))
        mode = .replacing
        if !advanceReplace(from: c) {
            replaceRun = nil
            mode = .edit
            message = "\"\(String(String.UnicodeScalarView(needle)))\" not found"
        }
    }

    /// Finds the next match from `from` (in the first pass, or wrapping to the
    /// second) and puts the cursor on it; false when there is none left.
    mutating func advanceReplace(from: Int) -> Bool {
        guard var run = replaceRun else { return false }
        defer { replaceRun = run }
        if !run.wrapped {
            if let i = firstMatch(run.needle, from: from, before: Int.max) {
                setCursor(i)
                matchLength = run.needle.count
                return true
            }
            run.wrapped = true
            return secondPass(&run, from: 0)
        }
        return secondPass(&run, from: from)
    }

    private mutating func secondPass(_ run: inout ReplaceRun, from: Int) -> Bool {
        let stop = resolve(run.stop)
        guard let i = firstMatch(run.needle, from: from, before: stop) else { return false }
        setCursor(i)
        matchLength = run.needle.count
        return true
    }

    /// A key while a replace asks about a match.
    mutating func handleReplacing(_ key: Key) {
        guard let run = replaceRun else { mode = .edit; return }
        message = nil
        switch key {
        case .char("y"), .char("Y"), .char("n"), .char("N"), .char("a"), .char("A"):
            // Others' edits may have changed the text under the match: look
            // again from there first.
            guard matches(run.needle, at: doc.cursor) else {
                if !advanceReplace(from: doc.cursor) { finishReplace() }
                return
            }
            switch key {
            case .char("y"), .char("Y"):
                let next = replaceMatch()
                if !advanceReplace(from: next) { finishReplace() }
            case .char("n"), .char("N"):
                if !advanceReplace(from: doc.cursor + run.needle.count) { finishReplace() }
            default:
                var next = replaceMatch()
                while advanceReplace(from: next) { next = replaceMatch() }
                finishReplace()
            }
        case .escape, .ctrl("c"), .ctrl("g"):
            finishReplace()
        default:
            message = "y replaces, n skips, a replaces all the rest, Esc stops"
        }
    }

    /// Replaces the match at the cursor; returns the index after the
    /// replacement, where the cursor now is. O(match + log s + n).
    private mutating func replaceMatch() -> Int {
        guard var run = replaceRun else { return doc.cursor }
        let at = doc.cursor
        let (del, ids, removed) = doc.delete(at: at, length: run.needle.count)
        outgoing.append(del)
        run.steps.append(.deleted(ids, text: removed, cursorAtEnd: false))
        if !run.replacement.isEmpty {
            let (ins, made) = doc.insert(run.replacement, at: at)
            outgoing.append(ins)
            run.steps.append(.inserted(made))
        }
        run.count += 1
        replaceRun = run
        modified = true
        setCursor(at + run.replacement.count)
        return doc.cursor
    }

    /// Ends the replace: its edits become one undo step; the message says how many.
    private mutating func finishReplace() {
        guard let run = replaceRun else { mode = .edit; return }
        undo.seal()
        undo.record(group: run.steps)
        undo.seal()
        replaceRun = nil
        matchLength = nil
        mode = .edit
        message = "Replaced \(counted(run.count, "occurrence"))"
    }
}
