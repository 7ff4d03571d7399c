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
/// Matches follow find's switches (Alt-R regex, Alt-C case, in either prompt;
/// a regex replacement may name groups: `$1`…`$9`, `$0` the whole match, `$$`
/// a dollar) and never overlap (after an empty regex match the search moves
/// on one character, so `x*` cannot loop): the search goes on after the replaced text, or
/// after a skipped match. It runs from the cursor to the end, then wraps to the
/// start and ends where it began (`ReplaceRun.stop`, anchored to the character
/// before the start, so replacements made before it do not move it), so no
/// text is visited twice and a replacement containing the query is never
/// replaced again. The current match's start is the cursor, anchored like
/// any cursor: if others' edits meanwhile changed the text there, the next
/// answer first looks for the next match from it instead of acting.
extension Editor {
    /// A replace in progress: what it looks for, where it ends, what it did.
    struct ReplaceRun: Sendable {
        var query: SearchQuery
        var replacement: [Unicode.Scalar]
        /// The match the cursor is on (its start is the cursor).
        var current: SearchQuery.Match?
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

    /// The answer to the first question (a pattern that does not compile
    /// keeps the prompt open, saying why).
    mutating func answerReplaceFind(_ p: Prompt) {
        let needle = p.input.isEmpty ? lastSearch : p.input
        guard !needle.isEmpty else { mode = .edit; message = "Cancelled"; return }
        do { _ = try searchQuery(needle) } catch {
            var p = p
            p.note = error.description
            mode = .prompt(p)
            return
        }
        lastSearch = needle
        let shown = String(String.UnicodeScalarView(needle))
        mode = .prompt(Prompt(label: "Replace \"\(shown)\"\(searchBadge) with", input: [], purpose: .replaceWith(needle)))
    }

    /// The answer to the second question: starts at the cursor.
    mutating func startReplace(_ needle: [Unicode.Scalar], with replacement: [Unicode.Scalar]) {
        let query: SearchQuery
        do { query = try searchQuery(needle) } catch { mode = .edit; message = error.description; return }
        let c = doc.cursor
        replaceRun = ReplaceRun(query: query, replacement: replacement, stop: c == 0 ? .start : .after(doc.rga.id(at: c - 1)))
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
            if let m = run.query.first(in: doc.buffer.scalars, lines: doc.buffer, from: from, before: Int.max) {
                land(on: m, &run)
                return true
            }
            run.wrapped = true
            return secondPass(&run, from: 0)
        }
        return secondPass(&run, from: from)
    }

    private mutating func secondPass(_ run: inout ReplaceRun, from: Int) -> Bool {
        let stop = resolve(run.stop)
        guard let m = run.query.first(in: doc.buffer.scalars, lines: doc.buffer, from: from, before: stop) else { return false }
        land(on: m, &run)
        return true
    }

    private mutating func land(on m: SearchQuery.Match, _ run: inout ReplaceRun) {
        setCursor(m.range.lowerBound)
        matchLength = m.range.count
        run.current = m
    }

    /// A key while a replace asks about a match.
    mutating func handleReplacing(_ key: Key) {
        guard let run = replaceRun else { mode = .edit; return }
        message = nil
        switch key {
        case .char("y"), .char("Y"), .char("n"), .char("N"), .char("a"), .char("A"):
            // Others' edits may have changed the text under the match: look
            // again from there first.
            let here = run.query.first(in: doc.buffer.scalars, lines: doc.buffer, from: doc.cursor, before: doc.cursor + 1)
            guard let here, here.range == run.current?.range else {
                if !advanceReplace(from: doc.cursor) { finishReplace() }
                return
            }
            switch key {
            case .char("y"), .char("Y"):
                let next = replaceMatch()
                if !advanceReplace(from: next) { finishReplace() }
            case .char("n"), .char("N"):
                if !advanceReplace(from: doc.cursor + max(1, here.range.count)) { finishReplace() }
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

    /// Replaces the match at the cursor (groups expanded); returns where the
    /// next search starts: after the replacement, one further after an empty
    /// match. O(match + log s + n).
    private mutating func replaceMatch() -> Int {
        guard var run = replaceRun, let m = run.current else { return doc.cursor }
        let at = doc.cursor
        let text = run.query.expand(run.replacement, for: m, in: doc.buffer.scalars)
        if !m.range.isEmpty {
            let (del, ids, removed) = doc.delete(at: at, length: m.range.count)
            outgoing.append(del)
            run.steps.append(.deleted(ids, text: removed, cursorAtEnd: false))
        }
        if !text.isEmpty {
            let (ins, made) = doc.insert(text, at: at)
            outgoing.append(ins)
            run.steps.append(.inserted(made))
        }
        run.count += 1
        run.current = nil
        replaceRun = run
        modified = true
        setCursor(at + text.count)
        return doc.cursor + (m.range.isEmpty ? 1 : 0)
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
