import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor

/// The editor against a plain model of what a user expects, on random key
/// sequences: what you typed is what you get back.
///
/// `PlainEditor` knows nothing of CRDTs: an array of scalars, a cursor, a cut
/// buffer, a mark, and the screen: its size (resized at random), the rows the
/// text takes with soft wrap (wide characters, tabs), the top row shown and
/// the goal column of Up/Down. The keys include Up/Down, PgUp/PgDn, clicks and
/// Shift+clicks, F3/Shift-F3, find sequences (Ctrl-F, a query, Enter) and
/// Ctrl-N (the line-number gutter narrows the text and shifts the clicks).
/// After every key the editor's text, cursor, selection, cut buffer and top
/// row must equal the model's.
/// Undo and redo are checked by their laws instead of a model of undo groups:
/// k undos then k redos come back through exactly the same texts; an undo never
/// removes or moves a character another replica wrote (after them the model
/// takes the editor's text, cursor and top). Remote batches from a
/// second replica are interleaved; the model applies them at the positions a
/// third, passive replica reports for the same operations in the same order
/// (the only CRDT in the model's reach, and only for remote text), and moves
/// its own cursor and mark by its own rule (`applyRemote`), never copying the
/// editor's. Replace
/// sequences (Alt-R or Ctrl-\, a query, a replacement, then y/n/a/Esc answers)
/// are done by the model too (`PlainEditor.Replace`), and each is checked to be
/// one undo step: the Ctrl-Z right after it gives back the text before it, the
/// Ctrl-Y the text after it. Find and replace prompts sometimes get Alt-R
/// (regex) and Alt-C (case rule); with regex on, the query is mostly a
/// pattern (groups, alternatives, greedy and lazy quantifiers, classes,
/// anchors; sometimes one that does not compile, which must keep the prompt
/// open) and the replacement names groups (`$0`…`$3`, `$$`): the model
/// matches them with its own backtracking matcher (PlainQuery.swift), never
/// the editor's. Mouse gestures (`mouseGesture`: a press, or a double or
/// triple click, or Shift+click, then drags to random cells, some below the
/// text) and the wheel (a notch, a row, a long spin) are modelled too: a drag
/// selects from where the button went down, a double click the word, a
/// triple click the line, and the wheel moves the view, the cursor only when
/// it would leave the screen.
///
/// Default: 10,000 sequences of 200 keys (fixed seeds, split in chunks that run
/// in parallel); `WEAVE_SEED` picks another base seed; `WEAVE_EDITOR_SWEEP=N`
/// runs N more sequences per chunk.
struct EditorPropertyTests {
    static let sequencesPerChunk = 500
    static let keysPerSequence = 200

    @Test(arguments: 0 ..< 20)
    func randomKeysMatchThePlainModel(chunk: Int) throws {
        let base = TestSeed.pick(0x5EED_0000)
        for i in 0 ..< (Int(String(cString: getenv("WEAVE_EDITOR_SEQUENCES") ?? strdup("")!)) ?? Self.sequencesPerChunk) {
            let seed = base &+ UInt64(chunk * Self.sequencesPerChunk + i)
            var run = EditorRun(seed: seed, remote: i % 2 == 1)
            try run.run(keys: Self.keysPerSequence)
        }
    }

    @Test(.enabled(if: TestSeed.enabled("WEAVE_EDITOR_SWEEP"), "a longer sweep runs on demand: WEAVE_EDITOR_SWEEP=N"))
    func longSweep() throws {
        let n = Int(String(cString: getenv("WEAVE_EDITOR_SWEEP"))) ?? 0
        let base = TestSeed.pick(0x5EED_0000) &+ 1_000_000
        for i in 0 ..< n {
            var run = EditorRun(seed: base &+ UInt64(i), remote: i % 2 == 1)
            try run.run(keys: 400)
        }
    }

    /// The two reports from the trust issue, as examples of the property.
    @Test func undoPutsCutLinesBackInOrder() {
        var e = Editor(fileName: "t", text: "AAA\nBBB\nCCC\nDDD", replica: ReplicaID(1))
        for k: Key in [.ctrl("k"), .ctrl("k")] { _ = e.handle(k) }
        #expect(e.text == "CCC\nDDD")
        for k: Key in [.ctrl("z"), .ctrl("z")] { _ = e.handle(k) }
        #expect(e.text == "AAA\nBBB\nCCC\nDDD")
    }

    @Test func undoPutsTwoForwardDeletionsBackInOrder() {
        var e = Editor(fileName: "t", text: "abcdef", replica: ReplicaID(1))
        for k: Key in [.delete, .delete, .delete, .right, .left, .delete, .delete, .delete] { _ = e.handle(k) }
        #expect(e.text == "")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "def")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "abcdef")
        _ = e.handle(.ctrl("y"))
        _ = e.handle(.ctrl("y"))
        #expect(e.text == "")
    }
}

/// What a user expects of the keys, with no CRDT: text, cursor, cut buffer,
/// the selection's mark, the goal column of Up/Down and the view's top row.
struct PlainEditor {
    var text: [Unicode.Scalar]
    var cursor = 0
    var cut: [Unicode.Scalar] = []
    var lastWasCut = false
    var mark: Int?
    var sticky = false
    /// The terminal (soft wrap on): text on all rows but the last two, across
    /// the whole width but the line-number gutter (Ctrl-N).
    var width = 40
    var height = 12
    var lineNumbers = false
    var textHeight: Int { max(1, height - 2) }
    /// The gutter: the last line number's digits (at least 3) and a space.
    var gutter: Int { lineNumbers ? max(3, String(lineStarts.count).count) + 1 : 0 }
    var textWidth: Int { max(2, width - gutter) }
    /// The first row shown: a line and a row within it (kept by number when
    /// the text changes above it, as the editor does).
    var top = Editor.ViewTop(line: 0, row: 0)
    /// The column Up/Down aim for: set by a vertical move, kept by keys that do
    /// not put the cursor anywhere (copy, Esc, the mark, an indent, a remote
    /// edit, an edit that does nothing), dropped by every other move or edit.
    var goal: Int?
    /// The indent style (the editor's, set at the start of a run).
    var indentTabs = true
    var indentWidth = 4
    var tabWidth = 8
    /// Find's and replace's last query.
    var lastSearch: [Unicode.Scalar] = []
    /// Find's and replace's switches (Alt-R, Alt-C in their prompts).
    var regex = false
    var caseRule = PlainQuery.CaseRule.smart
    /// The replace asking about a match at `cursor`, if any.
    var replacing: Replace?
    /// Where the button went down for the drag that follows: the click's
    /// place, the word's or line's start after a double or triple click, the
    /// mark after a Shift+click; nil after a click off the text's rows.
    var dragOrigin: Int?

    /// A replace in plain index terms: it runs from where it began to the end,
    /// then from the start to `stop` (where it began, moved by the
    /// replacements made before it), never overlapping, never revisiting.
    struct Replace {
        var query: PlainQuery
        var replacement: [Unicode.Scalar]
        var stop: Int
        var wrapped = false
        var count = 0
        /// Replacements that changed the text or put it back as it was (not
        /// an empty match replaced by nothing): the replace is an undo step
        /// when there is one.
        var edits = 0
        /// The match asked about (it starts at the cursor).
        var current: PlainQuery.Match?
    }

    /// `needle` under the switches; nil for a pattern that does not parse.
    func query(_ needle: [Unicode.Scalar]) -> PlainQuery? {
        PlainQuery(needle, regex: regex, caseRule: caseRule)
    }

    /// Moves to the next match from `from` (wrapping once); false when none is left.
    mutating func nextMatch(from: Int) -> Bool {
        guard var r = replacing else { return false }
        defer { replacing = r }
        var from = from
        if !r.wrapped {
            if let m = r.query.first(in: text, from: from, before: text.count + 1) {
                cursor = m.range.lowerBound
                r.current = m
                return true
            }
            r.wrapped = true
            from = 0
        }
        if let m = r.query.first(in: text, from: from, before: r.stop) {
            cursor = m.range.lowerBound
            r.current = m
            return true
        }
        return false
    }

    /// The two answers to the prompts; false when nothing is asked then
    /// (cancelled, or no match at all). The pattern parses (checked at the first prompt).
    mutating func startReplace(find input: [Unicode.Scalar], with replacement: [Unicode.Scalar]) -> Bool {
        let needle = input.isEmpty ? lastSearch : input
        guard !needle.isEmpty, let q = query(needle) else { return false }
        lastSearch = needle
        replacing = Replace(query: q, replacement: replacement, stop: cursor)
        if nextMatch(from: cursor) { return true }
        replacing = nil
        return false
    }

    /// Replaces the match at the cursor (its groups put in the replacement)
    /// and moves after it; returns where the next search starts: there, one
    /// further after an empty match. The end of the second pass moves with
    /// the text before it (text put right at it stays after it).
    mutating func replaceHere() -> Int {
        guard var r = replacing, let m = r.current else { return cursor }
        let p = cursor, n = m.range.count
        let with = r.query.expand(r.replacement, m, in: text)
        text.replaceSubrange(p ..< p + n, with: with)
        if p + n <= r.stop, n > 0 || p < r.stop { r.stop += with.count - n } else if p < r.stop { r.stop = p }
        r.count += 1
        if n > 0 || !with.isEmpty { r.edits += 1 }
        r.current = nil
        replacing = r
        cursor = p + with.count
        return cursor + (n == 0 ? 1 : 0)
    }

    /// A key while asking: y, n, a, Esc; false once the replace has ended. `done` gets the count then.
    mutating func answerReplace(_ key: Key, done: inout (count: Int, edits: Int)?) -> Bool {
        guard let r = replacing else { return false }
        switch key {
        case .char("y"):
            if nextMatch(from: replaceHere()) { return true }
        case .char("n"):
            if nextMatch(from: cursor + max(1, r.current?.range.count ?? 0)) { return true }
        case .char("a"):
            var next = replaceHere()
            while nextMatch(from: next) { next = replaceHere() }
        case .escape:
            break
        default:
            return true
        }
        done = replacing.map { ($0.count, $0.edits) }
        replacing = nil
        return false
    }

    var selection: Range<Int>? {
        guard let m = mark, m != cursor else { return nil }
        return min(m, cursor) ..< max(m, cursor)
    }

    static func moves(_ key: Key) -> Bool {
        switch key {
        case .left, .right, .up, .down, .home, .end, .pageUp, .pageDown, .ctrlHome, .ctrlEnd, .ctrlLeft, .ctrlRight, .click:
            return true
        default: return false
        }
    }

    /// Keys other than movement that leave the mark where it is: find.
    static func keepsMark(_ key: Key) -> Bool {
        switch key {
        case .function, .ctrl("f"), .ctrl("n"): return true
        default: return false
        }
    }

    mutating func replaceSelection(_ s: [Unicode.Scalar]) {
        if let r = selection {
            text.removeSubrange(r)
            cursor = r.lowerBound
            goal = nil
        }
        mark = nil
        insert(s)
    }

    /// The mouse but the plain click (which moves like any movement key):
    /// what a serious editor does, in plain words; false for other keys.
    mutating func pressMouse(_ key: Key) -> Bool {
        switch key {
        case .shift(.click(let x, let y)):
            if mark == nil { mark = cursor; sticky = false }
            click(x: x, y: y)
            dragOrigin = mark
        case .drag(let x, let y):
            // A new selection from where the button went down, to the cell
            // under the pointer; below the text's rows, one row further down.
            guard let o = dragOrigin else { return true }
            mark = o
            sticky = false
            if y >= textHeight { moveVertically(1) } else { click(x: x, y: max(0, y)) }
        case .doubleClick(let x, let y):
            // The word under the pointer; off a word, a click.
            guard y >= 0, y < textHeight else { return true }
            click(x: x, y: y)
            var a = cursor, b = cursor
            while a > 0, Self.isWord(text[a - 1]) { a -= 1 }
            while b < text.count, Self.isWord(text[b]) { b += 1 }
            if a < b {
                mark = a
                sticky = false
                cursor = b
            } else if !sticky {
                mark = nil
            }
            dragOrigin = a
        case .tripleClick(let x, let y):
            // The line with its newline.
            guard y >= 0, y < textHeight else { return true }
            click(x: x, y: y)
            mark = lineStart
            sticky = false
            dragOrigin = lineStart
            cursor = lineEnd < text.count ? lineEnd + 1 : lineEnd
        case .wheel(let n):
            scroll(n)
        default:
            return false
        }
        return true
    }

    /// The wheel: the view moves `n` rows (as far as there are); the cursor
    /// stays on its character unless that left the screen, and then goes
    /// to the nearest row shown, aiming at its goal column as Up/Down do.
    mutating func scroll(_ n: Int) {
        let starts = lineStarts
        var t = top, moved = 0
        while moved < abs(n), let r = row(n > 0 ? 1 : -1, from: t, starts) { t = r; moved += 1 }
        guard moved > 0 else { return }
        top = t
        var here = place(starts).at
        if here < top {
            var k = 0
            while here < top { here = row(1, from: here, starts)!; k += 1 }
            moveVertically(k)
        } else if var last = row(textHeight - 1, from: top, starts), last < here {
            var k = 0
            while last < here { last = row(1, from: last, starts)!; k += 1 }
            moveVertically(-k)
        }
    }

    /// The selection's keys (Editor+Selection.swift in plain words); false
    /// when the key is a plain one.
    mutating func pressSelectionKey(_ key: Key, wasCut: Bool) -> Bool {
        switch key {
        case .shift(let inner) where Self.moves(inner):
            if mark == nil { mark = cursor; sticky = false }
            press(inner, keepMark: true)
            return true
        case .alt("a"):
            if mark != nil { mark = nil } else { mark = cursor; sticky = true }
            return true
        case .escape where mark != nil:
            mark = nil
            return true
        case .ctrl("c"), .alt("6"):
            if let r = selection { cut = Array(text[r]) } else {
                var range = lineStart ..< lineEnd
                if range.upperBound < text.count { range = range.lowerBound ..< range.upperBound + 1 }
                cut = Array(text[range])
            }
            mark = nil
            return true
        case .ctrl("k") where selection != nil, .ctrl("x"):
            if let r = selection {
                cut = Array(text[r])
                text.removeSubrange(r)
                cursor = r.lowerBound
                goal = nil
                mark = nil
            } else {
                mark = nil
                lastWasCut = wasCut
                press(.ctrl("k"), keepMark: false)
            }
            return true
        case .ctrl("v"), .ctrl("u"):
            if cut.isEmpty { mark = nil } else { replaceSelection(cut) }
            return true
        case .char(let c) where selection != nil: replaceSelection([c]); return true
        case .enter where selection != nil: replaceSelection(["\n"]); return true
        case .tab where selection != nil: indentLines(outdent: false); return true
        case .shift(.tab): indentLines(outdent: true); return true
        case .paste(let p) where selection != nil: replaceSelection(Editor.normalisedPaste(p)); return true
        case .backspace, .delete:
            guard let r = selection else { mark = nil; return false }
            text.removeSubrange(r)
            cursor = r.lowerBound
            goal = nil
            mark = nil
            return true
        default:
            return false
        }
    }

    /// Tab on a selection, Shift-Tab: an indent put before (or one tab, or up
    /// to an indent's spaces, taken off) each line the selection touches (a
    /// selection ending at a line's start leaves that line out; empty lines
    /// are not indented), else the cursor's line. Cursor and mark move with
    /// their characters (onto the line's start when theirs is taken off).
    mutating func indentLines(outdent: Bool) {
        func start(of p: Int) -> Int { var i = p; while i > 0 && text[i - 1] != "\n" { i -= 1 }; return i }
        var starts: [Int] = []
        let r = selection ?? cursor ..< cursor
        var s = start(of: r.lowerBound)
        while true {
            starts.append(s)
            var e = s
            while e < text.count, text[e] != "\n" { e += 1 }
            if e >= text.count || e + 1 > r.upperBound || (e + 1 == r.upperBound && r.upperBound > r.lowerBound) { break }
            s = e + 1
        }
        let unit: [Unicode.Scalar] = indentTabs ? ["\t"] : Array(repeating: " ", count: indentWidth)
        for s in starts.reversed() {
            var e = s
            while e < text.count, text[e] != "\n" { e += 1 }
            if outdent {
                var k = 0
                if e > s, text[s] == "\t" { k = 1 } else {
                    while k < (indentTabs ? tabWidth : indentWidth), s + k < e, text[s + k] == " " { k += 1 }
                }
                guard k > 0 else { continue }
                text.removeSubrange(s ..< s + k)
                func moved(_ c: Int) -> Int { c >= s + k ? c - k : c > s ? s : c }
                cursor = moved(cursor)
                mark = mark.map(moved)
            } else {
                guard e > s else { continue }
                text.insert(contentsOf: unit, at: s)
                if cursor >= s { cursor += unit.count }
                mark = mark.map { $0 >= s ? $0 + unit.count : $0 }
            }
        }
    }

    var lineStart: Int {
        var i = cursor
        while i > 0 && text[i - 1] != "\n" { i -= 1 }
        return i
    }

    var lineEnd: Int {
        var i = cursor
        while i < text.count && text[i] != "\n" { i += 1 }
        return i
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil
    }

    mutating func insert(_ s: [Unicode.Scalar]) {
        text.insert(contentsOf: s, at: cursor)
        cursor += s.count
        if !s.isEmpty { goal = nil }
    }

    /// Applies another author's edit. The cursor and the mark stay on their
    /// characters: text removed before them pulls them back (onto the removal's
    /// start when theirs went), text put before them pushes them on, and so
    /// does text put right at them, except at the very end of the text (there
    /// they stay before the new text).
    mutating func applyRemote(_ e: TextEdit) {
        let p = e.position
        if e.removed > 0 {
            func pulled(_ c: Int) -> Int { c <= p ? c : max(p, c - e.removed) }
            cursor = pulled(cursor)
            mark = mark.map(pulled)
            text.removeSubrange(p ..< p + e.removed)
        }
        if !e.inserted.isEmpty {
            let end = text.count
            func pushed(_ c: Int) -> Int { c > p || (c == p && c < end) ? c + e.inserted.count : c }
            cursor = pushed(cursor)
            mark = mark.map(pushed)
            text.insert(contentsOf: e.inserted, at: p)
        }
    }

    // MARK: The screen

    /// One row of the text on screen.
    struct ScreenRow {
        /// The text's indices on the row, each with its column and its cells.
        var cells: [(at: Int, x: Int, w: Int)] = []
        /// Whether it is its line's last row; `end` is the line's end and `endX` its column there.
        var last = false
        var end: Int
        var endX = 0
    }

    /// Where each line starts.
    var lineStarts: [Int] { [0] + text.indices.filter { text[$0] == "\n" }.map { $0 + 1 } }

    /// Line `k` on screen, row by row: a character takes one cell, the wide
    /// ones (日本🙂) two, a tab runs to the next stop (cut at the right edge);
    /// a row breaks before a character that would cross the right edge, and a
    /// line that fills its last row exactly gets an empty row after it, for
    /// the cursor at its end. O(line).
    func rows(ofLine k: Int, _ starts: [Int]) -> [ScreenRow] {
        let start = starts[k], end = k + 1 < starts.count ? starts[k + 1] - 1 : text.count
        let w = textWidth
        var rows: [ScreenRow] = []
        var row = ScreenRow(end: end)
        var x = 0
        for i in start ..< end {
            let s = text[i]
            var cells = s == "\t" ? tabWidth - x % tabWidth : "日本🙂".unicodeScalars.contains(s) ? 2 : 1
            if s == "\t", x + cells > w { cells = max(1, w - x) }
            if x > 0, x + cells > w {
                rows.append(row)
                row = ScreenRow(end: end)
                x = 0
                if s == "\t" { cells = min(tabWidth, w) }
            }
            row.cells.append((i, x, cells))
            x += cells
        }
        if x >= w && end > start {
            rows.append(row)
            row = ScreenRow(end: end)
            x = 0
        }
        row.last = true
        row.endX = x
        return rows + [row]
    }

    /// The cursor's line, row in it and column.
    func place(_ starts: [Int]) -> (at: Editor.ViewTop, x: Int) {
        let line = starts.lastIndex { $0 <= cursor }!
        for (r, row) in rows(ofLine: line, starts).enumerated() {
            if let c = row.cells.first(where: { $0.at == cursor }) { return (Editor.ViewTop(line: line, row: r), c.x) }
            if row.last { return (Editor.ViewTop(line: line, row: r), row.endX) }
        }
        preconditionFailure("cursor \(cursor) on no row")
    }

    /// The row `n` rows below `t` (above, negative), or nil past the text's first or last row.
    func row(_ n: Int, from t: Editor.ViewTop, _ starts: [Int]) -> Editor.ViewTop? {
        var t = t
        for _ in 0 ..< abs(n) {
            if n > 0 {
                if t.row + 1 < rows(ofLine: t.line, starts).count { t.row += 1 } else if t.line + 1 < starts.count {
                    t = Editor.ViewTop(line: t.line + 1, row: 0)
                } else { return nil }
            } else {
                if t.row > 0 { t.row -= 1 } else if t.line > 0 {
                    t = Editor.ViewTop(line: t.line - 1, row: rows(ofLine: t.line - 1, starts).count - 1)
                } else { return nil }
            }
        }
        return t
    }

    /// Where row `t` puts the cursor aimed at column `x`: on the character
    /// covering it, else at the row's end (its last character when the line
    /// goes on below, the line's end on its last row).
    func offset(_ t: Editor.ViewTop, x: Int, _ starts: [Int]) -> Int {
        let r = rows(ofLine: t.line, starts)[t.row]
        if let c = r.cells.first(where: { $0.x + $0.w > x }) { return c.at }
        return r.last ? r.end : r.cells.last!.at
    }

    /// Puts `top` back on the text (a line or row that no longer exists: the
    /// last line, its first row; its last row).
    mutating func clampTop(_ starts: [Int]) {
        if top.line >= starts.count { top = Editor.ViewTop(line: starts.count - 1, row: 0) }
        top.row = min(top.row, rows(ofLine: top.line, starts).count - 1)
    }

    /// Scrolls as little as keeps the cursor on screen: to its row when above
    /// the top, so that it is on the last row when below the screen.
    mutating func follow() {
        let starts = lineStarts
        clampTop(starts)
        let here = place(starts).at
        if here < top {
            top = here
        } else if row(textHeight, from: top, starts).map({ $0 <= here }) ?? false {
            var t = here
            for _ in 0 ..< textHeight - 1 { t = row(-1, from: t, starts) ?? t }
            top = t
        }
    }

    /// Up and Down by `n` rows (PgUp and PgDn: a screen less one row), aiming
    /// at the goal column; past the first or last row, to the text's start or end.
    mutating func moveVertically(_ n: Int) {
        let starts = lineStarts
        let (here, x) = place(starts)
        let aim = goal ?? x
        guard let t = row(n, from: here, starts) else {
            cursor = n > 0 ? text.count : 0
            goal = nil
            return
        }
        cursor = offset(t, x: aim, starts)
        goal = aim
    }

    /// PgUp and PgDn also move the view by as many rows (as far as there are).
    mutating func scrollPage(_ n: Int) {
        let starts = lineStarts
        for _ in 0 ..< abs(n) { top = row(n > 0 ? 1 : -1, from: top, starts) ?? top }
    }

    /// A click on the text puts the cursor on the character shown there (the
    /// row's end past it; the text's end below the last row); outside the
    /// text's rows it does nothing.
    mutating func click(x: Int, y: Int) {
        guard y >= 0, y < textHeight else { return }
        let starts = lineStarts
        cursor = row(y, from: top, starts).map { offset($0, x: max(0, x - gutter), starts) } ?? text.count
        goal = nil
    }

    mutating func resize(width w: Int, height h: Int) {
        width = max(1, w)
        height = max(1, h)
        follow()
    }

    /// Find's Enter: the query (or, empty, the last one) from the cursor;
    /// false when it does not parse (the prompt stays open).
    mutating func find(_ input: [Unicode.Scalar]) -> Bool {
        let needle = input.isEmpty ? lastSearch : input
        if !needle.isEmpty, query(needle) == nil { return false }
        lastWasCut = false
        if !input.isEmpty { lastSearch = input }
        findAgain(forward: true)
        follow()
        return true
    }

    /// F3 / Shift-F3: the next match after the cursor, else the first from
    /// the start (the cursor's own included); the last before it, else the
    /// last from it to the end.
    mutating func findAgain(forward: Bool) {
        guard !lastSearch.isEmpty, let q = query(lastSearch) else { return }
        let hit = forward
            ? q.first(in: text, from: cursor + 1, before: text.count + 1) ?? q.first(in: text, from: 0, before: cursor + 1)
            : q.last(in: text, from: 0, before: cursor) ?? q.last(in: text, from: cursor, before: text.count + 1)
        if let hit {
            cursor = hit.range.lowerBound
            goal = nil
        }
    }

    /// A key in plain edit mode (undo and redo are not modelled here), then
    /// the view follows the cursor.
    mutating func press(_ key: Key) {
        pressKey(key)
        follow()
    }

    private mutating func pressKey(_ key: Key) {
        let wasCut = lastWasCut
        lastWasCut = false
        if pressMouse(key) { return }
        if pressSelectionKey(key, wasCut: wasCut) { return }
        if mark != nil {
            // Movement ends a Shift selection (not Alt-A's mark); find keeps
            // both; any other key ends both.
            if Self.moves(key) { if !sticky { mark = nil } } else if !Self.keepsMark(key) { mark = nil }
        }
        lastWasCut = wasCut
        press(key, keepMark: true)
    }

    /// The plain meaning of a key.
    mutating func press(_ key: Key, keepMark: Bool) {
        let wasCut = lastWasCut
        lastWasCut = false
        switch key {
        case .escape: break
        case .char(let c): insert([c])
        case .enter:
            var indent: [Unicode.Scalar] = []
            var i = lineStart
            while i < cursor, text[i] == " " || text[i] == "\t" { indent.append(text[i]); i += 1 }
            insert(["\n"] + indent)
        case .tab:
            insert(indentTabs ? ["\t"] : Array(repeating: " ", count: indentWidth - (cursor - lineStart) % indentWidth))
        case .paste(let s):
            var out: [Unicode.Scalar] = []
            var lastCR = false
            for u in s.unicodeScalars {
                if u == "\r" { out.append("\n"); lastCR = true; continue }
                if u == "\n" && lastCR { lastCR = false; continue }
                lastCR = false
                out.append(u)
            }
            insert(out)
        case .backspace:
            if cursor > 0 { text.remove(at: cursor - 1); cursor -= 1; goal = nil }
        case .delete:
            if cursor < text.count { text.remove(at: cursor); goal = nil }
        case .left: cursor = max(0, cursor - 1); goal = nil
        case .right: cursor = min(text.count, cursor + 1); goal = nil
        case .home: cursor = lineStart; goal = nil
        case .end: cursor = lineEnd; goal = nil
        case .ctrlHome: cursor = 0; goal = nil
        case .ctrlEnd: cursor = text.count; goal = nil
        case .ctrlLeft:
            var j = cursor
            while j > 0, !Self.isWord(text[j - 1]) { j -= 1 }
            while j > 0, Self.isWord(text[j - 1]) { j -= 1 }
            cursor = j
            goal = nil
        case .ctrlRight:
            var j = cursor
            while j < text.count, Self.isWord(text[j]) { j += 1 }
            while j < text.count, !Self.isWord(text[j]) { j += 1 }
            cursor = j
            goal = nil
        case .up: moveVertically(-1)
        case .down: moveVertically(1)
        case .pageUp:
            moveVertically(-max(1, textHeight - 1))
            scrollPage(-max(1, textHeight - 1))
        case .pageDown:
            moveVertically(max(1, textHeight - 1))
            scrollPage(max(1, textHeight - 1))
        case .click(let x, let y):
            click(x: x, y: y)
            dragOrigin = y >= 0 && y < textHeight ? cursor : nil
        case .function(3): findAgain(forward: true)
        case .function(15): findAgain(forward: false)
        case .ctrl("k"):
            var range = lineStart ..< lineEnd
            if range.upperBound < text.count { range = range.lowerBound ..< range.upperBound + 1 }
            if !wasCut { cut = [] }
            cut += text[range]
            if !range.isEmpty {
                text.removeSubrange(range)
                cursor = range.lowerBound
                goal = nil
            }
            lastWasCut = true
        case .ctrl("u"):
            insert(cut)
        case .ctrl("n"):
            lineNumbers.toggle()
        default:
            preconditionFailure("not modelled: \(key)")
        }
    }
}

/// One random session: an editor, its plain model, maybe a remote replica.
struct EditorRun {
    let seed: UInt64
    let remote: Bool
    var g: SeededRandom
    var editor: Editor
    var model: PlainEditor
    /// The other author (replica 0xB): it types upper-case letters and digits.
    var other: RGA
    /// Sees every operation in the order the editor applies them; its text
    /// edits place remote changes in the model.
    var shadow: RGA
    /// The editor's operations not yet delivered to `other`.
    var toOther: [Operation] = []
    /// What happened so far, for the failure message: keys, "remote", "round trip".
    var trail: [String] = []

    static let local: [Unicode.Scalar] = Array("abcdefgh xyz_é日本🙂,.".unicodeScalars)
    static let remoteAlphabet: [Unicode.Scalar] = Array("ABCDEFGHIJ0123456789".unicodeScalars)

    init(seed: UInt64, remote: Bool) {
        self.seed = seed
        self.remote = remote
        var r = SeededRandom(seed: seed)
        var initial: [Unicode.Scalar] = []
        for _ in 0 ..< r.int(0 ... 30) { initial.append(r.chance(0.15) ? "\n" : Self.local[r.int(0 ..< Self.local.count)]) }
        g = r
        trail = ["\(String(String.UnicodeScalarView(initial)).debugDescription)"]
        var base = RGA(replica: ReplicaID(0xA0))
        if !initial.isEmpty { base.insert(initial, at: 0) }
        let ops = base.operations(since: VersionVector())
        var mine = RGA(replica: ReplicaID(0xA))
        var o = RGA(replica: ReplicaID(0xB))
        var s = RGA(replica: ReplicaID(0xC))
        try! mine.receive(contentsOf: ops)
        try! o.receive(contentsOf: ops)
        try! s.receive(contentsOf: ops)
        editor = Editor(fileName: "p.txt", document: mine)
        _ = editor.handle(.resize(width: 40, height: 12))
        model = PlainEditor(text: initial)
        if g.chance(0.5) {
            editor.indentTabs = false
            editor.indentWidth = g.int(2 ... 4)
        }
        model.indentTabs = editor.indentTabs
        model.indentWidth = editor.indentWidth
        model.tabWidth = editor.tabWidth
        other = o
        shadow = s
    }

    func fail(_ what: String, step: Int, key: Key?) -> String {
        "seed \(seed) (remote: \(remote)) step \(step) key \(key.map { "\($0)" } ?? "-"): \(what)\n"
            + "editor: \(editor.text.debugDescription) cursor \(editor.cursor)\n"
            + "  selection \(String(describing: editor.selection))\n"
            + "  top \(editor.top), goal \(String(describing: editor.goalX)), size \(editor.size.width)x\(editor.size.height)\n"
            + "model:  \(String(String.UnicodeScalarView(model.text)).debugDescription) cursor \(model.cursor) selection \(String(describing: model.selection))\n"
            + "  top \(model.top), goal \(String(describing: model.goal))\n"
            + "initial text, then keys: \(trail.joined(separator: " "))"
    }

    mutating func randomKey() -> Key {
        switch g.int(0 ..< 118) {
        case 115 ..< 118:
            // A notch (3 rows), sometimes one row or a long spin.
            let rows = g.chance(0.7) ? 3 : g.chance(0.5) ? 1 : 20
            return .wheel(g.chance(0.5) ? rows : -rows)
        case 100 ..< 103: return .up
        case 103 ..< 106: return .down
        case 106: return g.chance(0.5) ? .pageUp : .pageDown
        case 107 ..< 111:
            // Mostly on the text's rows, sometimes on the status line.
            let click = Key.click(x: g.int(0 ..< model.width), y: g.int(0 ... model.textHeight))
            return g.chance(0.25) ? .shift(click) : click
        case 111 ..< 113: return g.chance(0.6) ? .function(3) : .function(15)
        case 113: return g.chance(0.5) ? .shift(.up) : .shift(.down)
        case 114: return .ctrl("n")
        case 0 ..< 38: return .char(Self.local[g.int(0 ..< Self.local.count)])
        case 38 ..< 43: return .enter
        case 43: return g.chance(0.5) ? .tab : .shift(.tab)
        case 44 ..< 52: return .backspace
        case 52 ..< 58: return .delete
        case 58 ..< 64: return .left
        case 64 ..< 70: return .right
        case 70 ..< 72: return .home
        case 72 ..< 74: return .end
        case 74: return .ctrlHome
        case 75: return .ctrlEnd
        case 76: return .ctrlLeft
        case 77: return .ctrlRight
        case 78 ..< 82: return .ctrl("k")
        case 82 ..< 84: return .ctrl("u")
        case 84 ..< 86:
            let n = g.int(1 ... 6)
            return .paste(String(String.UnicodeScalarView((0 ..< n).map { _ in
                g.chance(0.2) ? (g.chance(0.5) ? "\r" : "\n") : Self.local[g.int(0 ..< Self.local.count)]
            })))
        case 86 ..< 91: return .ctrl("z")
        case 91 ..< 94: return .ctrl("y")
        case 94 ..< 97:
            let moves: [Key] = [.left, .right, .home, .end, .ctrlLeft, .ctrlRight, .ctrlHome, .ctrlEnd, .up, .down, .pageUp, .pageDown]
            return .shift(moves[g.int(0 ..< moves.count)])
        default:
            let keys: [Key] = [.alt("a"), .escape, .ctrl("c"), .ctrl("x"), .ctrl("v"), .alt("6")]
            return keys[g.int(0 ..< keys.count)]
        }
    }

    /// The visible elements written by the other replica, in order.
    func remoteVisible() -> [ElementID] {
        let rga = editor.doc.rga
        return (0 ..< rga.count).map { rga.id(at: $0) }.filter { $0.replica == ReplicaID(0xB) }
    }

    /// Hands one key to the editor; returns the operations it made.
    mutating func press(_ key: Key) throws -> [Operation] {
        var ops: [Operation] = []
        trail.append("\(key)")
        for case .broadcast(let o) in editor.handle(key) { ops += o }
        for op in ops { _ = try shadow.receive(op) }
        toOther += ops
        return ops
    }

    mutating func check(_ step: Int, _ key: Key?) {
        if editor.doc.buffer.scalars != model.text || editor.cursor != model.cursor || editor.selection != model.selection
            || editor.cutBuffer != model.cut || editor.top != model.top {
            Issue.record(Comment(rawValue: fail("the editor differs from the plain model", step: step, key: key)))
        }
    }

    /// A remote batch: the other replica catches up (sometimes), edits, and its
    /// operations reach the editor and, at the shadow's positions, the model.
    mutating func remoteBatch() throws {
        if g.chance(0.6) {
            try other.receive(contentsOf: toOther)
            toOther = []
        }
        var ops: [Operation] = []
        for _ in 0 ..< g.int(1 ... 3) {
            if other.count > 0 && g.chance(0.3) {
                let at = g.int(0 ..< other.count)
                if let op = other.delete(at: at, length: min(other.count - at, g.int(1 ... 3))) { ops.append(op) }
            } else {
                let text = (0 ..< g.int(1 ... 3)).map { _ in Self.remoteAlphabet[g.int(0 ..< Self.remoteAlphabet.count)] }
                if let op = other.insert(text, at: g.int(0 ... other.count)) { ops.append(op) }
            }
        }
        for op in ops {
            try editor.receive(op)
            for e in try shadow.receive(op) { model.applyRemote(e) }
            model.follow()
        }
        trail.append("[remote]")
    }

    /// What find and replace look for: often a piece of the text (sometimes
    /// in capitals), sometimes characters maybe not in it, sometimes nothing
    /// (the last query). Never a newline (Enter ends the prompt).
    mutating func randomQuery() -> [Unicode.Scalar] {
        var needle: [Unicode.Scalar] = []
        let t = model.text
        if !t.isEmpty && g.chance(0.7) {
            let at = g.int(0 ..< t.count)
            needle = Array(t[at ..< min(t.count, at + g.int(1 ... 3))])
            if g.chance(0.2) { needle = needle.map { Unicode.Scalar(String($0).uppercased()) ?? $0 } }
        } else if g.chance(0.7) {
            needle = (0 ..< g.int(1 ... 2)).map { _ in Self.local[g.int(0 ..< Self.local.count)] }
        }
        return needle.filter { $0 != "\n" }
    }

    /// A regular expression in the model's dialect (PlainQuery), built
    /// mostly of the text's own characters so that it matches; groups with
    /// alternatives, quantifiers (greedy and lazy, some matching nothing),
    /// classes, anchors. Sometimes broken (an unclosed `(` or `[`, a
    /// quantifier with nothing before it). Never a newline.
    mutating func randomPattern() -> [Unicode.Scalar] {
        let t = model.text.filter { $0 != "\n" }
        func literal() -> [Unicode.Scalar] {
            let c = !t.isEmpty && g.chance(0.8) ? t[g.int(0 ..< t.count)] : Self.local[g.int(0 ..< Self.local.count)]
            return c == "." ? ["\\", "."] : [c]
        }
        func one() -> [Unicode.Scalar] {
            var atom: [Unicode.Scalar]
            switch g.int(0 ..< 10) {
            case 0 ..< 6: atom = literal()
            case 6: atom = ["."]
            case 7: atom = g.chance(0.5) ? ["\\", "w"] : ["\\", "d"]
            default: atom = ["["] + (0 ..< g.int(1 ... 3)).flatMap { _ in literal().suffix(1) } + ["]"]
            }
            if g.chance(0.35) {
                atom.append(["*", "+", "?"][g.int(0 ..< 3)])
                if g.chance(0.25) { atom.append("?") }
            }
            return atom
        }
        var p: [Unicode.Scalar] = []
        for _ in 0 ..< g.int(1 ... 3) {
            switch g.int(0 ..< 10) {
            case 0 ..< 7: p += one()
            case 7, 8:
                p.append("(")
                for k in 0 ..< g.int(1 ... 2) {
                    if k > 0 { p.append("|") }
                    for _ in 0 ..< g.int(1 ... 2) { p += one() }
                }
                p.append(")")
            default: p.append(g.chance(0.5) ? "^" : "$")
            }
        }
        if g.chance(0.08) {
            switch g.int(0 ..< 3) {
            case 0: p.append("(")
            case 1: p.append("[")
            default: p.insert("*", at: 0)
            }
        }
        return p
    }

    /// Sometimes Alt-R (regex) and Alt-C (case) in a find or replace prompt;
    /// then a needle: with regex on, mostly a pattern.
    mutating func promptNeedle() throws -> [Unicode.Scalar] {
        if g.chance(0.3) {
            _ = try press(.alt("r"))
            model.regex.toggle()
        }
        if g.chance(0.15) {
            _ = try press(.alt("c"))
            model.caseRule = model.caseRule.next
        }
        let needle = model.regex && g.chance(0.8) ? randomPattern() : randomQuery()
        for u in needle { _ = try press(.char(u)) }
        return needle
    }

    /// A pattern that does not parse keeps the prompt open: Esc then cancels.
    mutating func expectBadPattern(_ step: Int) throws {
        guard case .prompt(let p) = editor.mode, p.note?.hasPrefix("Bad pattern") == true else {
            Issue.record(Comment(rawValue: fail("a pattern that does not parse: want the prompt open with its reason, got \(editor.mode)", step: step, key: .enter)))
            return
        }
        _ = try press(.escape)
        check(step, .escape)
    }

    /// Ctrl-F, maybe the switches, a query (`randomQuery`, or a pattern), Enter; the model finds too.
    mutating func findSequence(_ step: Int) throws {
        trail.append("[find]")
        _ = try press(.ctrl("f"))
        let needle = try promptNeedle()
        _ = try press(.enter)
        if model.find(needle) {
            check(step, .enter)
        } else {
            try expectBadPattern(step)
        }
    }

    /// Press, maybe a double and a triple click, then drags to random cells
    /// (some on the status lines: the view scrolls); or Shift+click and drags.
    /// The model does the same, key by key.
    mutating func mouseGesture(_ step: Int) throws {
        trail.append("[mouse]")
        func cell() -> (x: Int, y: Int) { (g.int(0 ..< model.width), g.int(0 ... model.textHeight + 1)) }
        let (x, y) = cell()
        var keys: [Key]
        switch g.int(0 ..< 10) {
        case 0: keys = [.shift(.click(x: x, y: y))]
        case 1, 2: keys = [.click(x: x, y: y), .doubleClick(x: x, y: y)]
        case 3: keys = [.click(x: x, y: y), .doubleClick(x: x, y: y), .tripleClick(x: x, y: y)]
        default: keys = [.click(x: x, y: y)]
        }
        for _ in 0 ..< g.int(0 ... 4) {
            let to = cell()
            keys.append(.drag(x: to.x, y: to.y))
        }
        for k in keys {
            model.press(k)
            _ = try press(k)
            check(step, k)
        }
    }

    /// A new terminal size (the text at least 2 columns wide and 1 row high).
    mutating func resize(_ step: Int) throws {
        let w = g.int(4 ... 50), h = g.int(3 ... 16)
        _ = try press(.resize(width: w, height: h))
        model.resize(width: w, height: h)
        check(step, .resize(width: w, height: h))
    }

    mutating func run(keys: Int) throws {
        var step = 0
        while step < keys {
            step += 1
            if remote && g.chance(0.08) {
                try remoteBatch()
                // The model cannot know where the editor keeps the cursor's burst; a remote edit
                // does not change the text the user sees beyond the remote part.
                check(step, nil)
                continue
            }
            if g.chance(0.03) {
                try undoRedoRoundTrip(step)
                continue
            }
            if g.chance(0.03) {
                try replaceSequence(step)
                if editor.doc.buffer.scalars != model.text { return }
                continue
            }
            if g.chance(0.03) {
                try findSequence(step)
                continue
            }
            if g.chance(0.02) {
                try resize(step)
                continue
            }
            if g.chance(0.04) {
                try mouseGesture(step)
                if editor.doc.buffer.scalars != model.text { return }
                continue
            }
            let key = randomKey()
            switch key {
            case .ctrl("z"), .ctrl("y"):
                let before = remoteVisible()
                _ = try press(key)
                if remoteVisible() != before {
                    Issue.record(Comment(rawValue: fail("undo or redo removed or moved another author's text", step: step, key: key)))
                    return
                }
                model.text = Array(editor.doc.buffer.scalars)
                model.cursor = editor.cursor
                model.lastWasCut = false
                model.mark = nil
                if editor.message?.hasPrefix("Nothing to") != true { model.goal = nil }
                model.top = editor.top  // the view followed the cursor through the undo's edits
                check(step, key)
            default:
                model.press(key)
                _ = try press(key)
                check(step, key)
            }
            if editor.doc.buffer.scalars != model.text { return }  // reported; the rest would only repeat it
            if step % 25 == 0 { try editor.checkInvariants() }
        }
        try editor.checkInvariants()
        // Everything that was sent applies on the other side, and both agree.
        try other.receive(contentsOf: toOther)
        if other.text != editor.text {
            Issue.record(Comment(rawValue: fail("the other replica differs: \(other.text.debugDescription)", step: step, key: nil)))
        }
    }

    /// Alt-R or Ctrl-\, a query (often a piece of the text, sometimes in
    /// capitals, sometimes empty: the last one), a replacement, then random
    /// answers until the replace ends; the model does the same. Then, half the
    /// time, the replace must be one undo step: Ctrl-Z gives back the text
    /// before it, Ctrl-Y the text after it (two steps would stop half way).
    mutating func replaceSequence(_ step: Int) throws {
        let before = editor.doc.buffer.scalars
        trail.append("[replace]")
        let start: Key = g.chance(0.5) ? .alt("r") : .ctrl("\\")
        _ = try press(start)
        model.mark = nil
        model.lastWasCut = false
        let needle = try promptNeedle()
        _ = try press(.enter)
        if needle.isEmpty && model.lastSearch.isEmpty {
            // Nothing to look for: cancelled, back to editing.
            if editor.mode != .edit { Issue.record(Comment(rawValue: fail("an empty query was not cancelled", step: step, key: .enter))) }
            return
        }
        if model.query(needle.isEmpty ? model.lastSearch : needle) == nil {
            try expectBadPattern(step)
            return
        }
        // With regex on, the replacement often names groups ($0…$3; $$ is a dollar).
        var replacement: [Unicode.Scalar] = []
        for _ in 0 ..< g.int(0 ... 3) {
            if model.regex && g.chance(0.4) {
                replacement += g.chance(0.85) ? ["$", Unicode.Scalar(UInt8(48 + g.int(0 ... 3)))] : g.chance(0.5) ? ["$", "$"] : ["$"]
            } else {
                replacement.append(Self.local[g.int(0 ..< Self.local.count)])
            }
        }
        for u in replacement { _ = try press(.char(u)) }
        _ = try press(.enter)
        let asking = model.startReplace(find: needle, with: replacement)
        if asking { model.goal = nil }
        model.follow()
        check(step, .enter)
        if (editor.mode == .replacing) != asking {
            Issue.record(Comment(rawValue: fail("the editor asks: \(editor.mode == .replacing), the model: \(asking)", step: step, key: .enter)))
            return
        }
        var done: (count: Int, edits: Int)?
        var answers = 0
        while model.replacing != nil {
            answers += 1
            let key: Key = answers > 40 ? .escape
                : [.char("y"), .char("y"), .char("n"), .char("n"), .char("a"), .escape, .char("q")][g.int(0 ..< 7)]
            _ = model.answerReplace(key, done: &done)
            model.follow()
            _ = try press(key)
            check(step, key)
            if (editor.mode == .replacing) != (model.replacing != nil) {
                Issue.record(Comment(rawValue: fail("the editor is still asking: \(editor.mode == .replacing)", step: step, key: key)))
                return
            }
        }
        if let (done, edits) = done {
            let want = "Replaced \(done) occurrence\(done == 1 ? "" : "s")"
            if editor.message != want {
                Issue.record(Comment(rawValue: fail("message \(String(describing: editor.message)), want \(want)", step: step, key: nil)))
            }
            if edits > 0 && g.chance(0.5) {
                let after = editor.doc.buffer.scalars
                _ = try press(.ctrl("z"))
                if editor.doc.buffer.scalars != before {
                    Issue.record(Comment(rawValue: fail("one Ctrl-Z did not undo the whole replace: want \(String(String.UnicodeScalarView(before)).debugDescription)", step: step, key: .ctrl("z"))))
                }
                _ = try press(.ctrl("y"))
                if editor.doc.buffer.scalars != after {
                    Issue.record(Comment(rawValue: fail("one Ctrl-Y did not redo the whole replace: want \(String(String.UnicodeScalarView(after)).debugDescription)", step: step, key: .ctrl("y"))))
                }
                model.text = Array(editor.doc.buffer.scalars)
                model.cursor = editor.cursor
                model.top = editor.top
            }
        }
    }

    /// k undos, then k redos: the redos pass back through exactly the texts the
    /// undos left, and end on the text before the first undo.
    mutating func undoRedoRoundTrip(_ step: Int) throws {
        let k = g.int(1 ... 6)
        trail.append("[round trip]")
        var texts = [editor.doc.buffer.scalars]
        var undone = 0
        for _ in 0 ..< k {
            let before = remoteVisible()
            let ops = try press(.ctrl("z"))
            if remoteVisible() != before {
                Issue.record(Comment(rawValue: fail("undo removed or moved another author's text", step: step, key: .ctrl("z"))))
            }
            if ops.isEmpty && editor.message == "Nothing to undo" { break }
            undone += 1
            texts.append(editor.doc.buffer.scalars)
        }
        for i in stride(from: undone - 1, through: 0, by: -1) {
            _ = try press(.ctrl("y"))
            if editor.doc.buffer.scalars != texts[i] {
                let want = String(String.UnicodeScalarView(texts[i])).debugDescription
                Issue.record(Comment(rawValue: fail("redo \(undone - i) of \(undone) gave another text than before its undo: want \(want)",
                                                    step: step, key: .ctrl("y"))))
                break
            }
        }
        model.text = Array(editor.doc.buffer.scalars)
        model.cursor = editor.cursor
        model.lastWasCut = false
        model.mark = editor.markIndex
        if undone > 0 { model.goal = nil }
        model.top = editor.top
    }
}

#if canImport(Glibc)
import Glibc
#endif
