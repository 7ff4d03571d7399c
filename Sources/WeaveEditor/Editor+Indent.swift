import WeaveCore

/// Indentation: Enter keeps the line's indentation (the spaces and tabs at
/// its start, up to the cursor); Tab with a selection indents every line it
/// touches (not empty ones), Shift-Tab outdents them (or the cursor's line
/// without a selection): one tab, or up to one indent's worth of spaces, off
/// each line. Each is one undo step. Tab without a selection types a tab, or
/// with `indentTabs` off spaces to the next multiple of `indentWidth`.
///
/// The style is a setting, and detected from the file when it has a clear one
/// (`IndentStyle.detect`): set by `Editor.init`, a settings file may override
/// it only where the file says nothing.
public struct IndentStyle: Sendable, Equatable {
    /// Indent with tabs (else spaces).
    public var tabs: Bool
    /// Spaces per indent (with `tabs` off).
    public var width: Int

    public init(tabs: Bool, width: Int) {
        self.tabs = tabs
        self.width = width
    }

    /// The style of `text` when it has a clear one, else nil: at least 3
    /// indented lines among the first 2,000, most of them starting with the
    /// same character (tab or space); for spaces, the most common step
    /// between consecutive indentation levels among 2, 3, 4 and 8.
    /// O(min(n, 2,000 lines)).
    public static func detect<S: RandomAccessCollection<Unicode.Scalar>>(_ text: S) -> IndentStyle? where S.Index == Int {
        var tabLines = 0, spaceLines = 0, previous = 0, lines = 0
        var steps: [Int: Int] = [:]
        var i = text.startIndex
        while i < text.endIndex, lines < 2000 {
            var j = i
            var spaces = 0
            let first = text[i]
            while j < text.endIndex, text[j] == " " || text[j] == "\t" {
                if text[j] == " " { spaces += 1 }
                j += 1
            }
            let blank = j == text.endIndex || text[j] == "\n"
            if !blank {
                if first == "\t" { tabLines += 1 }
                if first == " ", spaces >= 2 { spaceLines += 1 }
                if first != "\t" {
                    let step = abs(spaces - previous)
                    if step > 0 { steps[step, default: 0] += 1 }
                    previous = spaces
                }
            }
            while j < text.endIndex, text[j] != "\n" { j += 1 }
            i = j + 1
            lines += 1
        }
        guard tabLines + spaceLines >= 3 else { return nil }
        if tabLines > spaceLines * 2 { return IndentStyle(tabs: true, width: 4) }
        if spaceLines > tabLines * 2 {
            let width = [2, 3, 4, 8].max { steps[$0, default: 0] < steps[$1, default: 0] } ?? 4
            return IndentStyle(tabs: false, width: steps[width, default: 0] > 0 ? width : 4)
        }
        return nil
    }
}

extension Editor {
    /// What one indent is: a tab, or `indentWidth` spaces.
    var indentUnit: [Unicode.Scalar] { indentTabs ? ["\t"] : Array(repeating: " ", count: indentWidth) }

    /// The indentation Enter carries over: the spaces and tabs that start the
    /// cursor's line, up to the cursor. O(indent + log lines).
    func indentation(before c: Int) -> [Unicode.Scalar] {
        let s = doc.buffer.scalars
        var i = doc.buffer.lineStarts[doc.buffer.line(of: c)]
        var out: [Unicode.Scalar] = []
        while i < c, s[i] == " " || s[i] == "\t" { out.append(s[i]); i += 1 }
        return out
    }

    /// Enter: a newline and the line's indentation. One undo step.
    mutating func newlineKeepingIndent() {
        undo.seal()
        insertAtCursor(["\n"] + indentation(before: doc.cursor), kind: .other)
    }

    /// Tab without a selection: a tab, or spaces to the next indent stop.
    mutating func typeTab() {
        guard !indentTabs else { insertAtCursor(["\t"], kind: .typing); return }
        let column = doc.cursor - doc.buffer.lineStarts[doc.buffer.line(of: doc.cursor)]
        insertAtCursor(Array(repeating: " ", count: indentWidth - column % indentWidth), kind: .typing)
    }

    /// The lines Tab and Shift-Tab act on: those the selection touches (a
    /// selection ending at a line's start leaves that line out), else the
    /// cursor's.
    var indentedLines: ClosedRange<Int> {
        let b = doc.buffer
        guard let r = selection else { let l = b.line(of: doc.cursor); return l ... l }
        let first = b.line(of: r.lowerBound)
        var last = b.line(of: r.upperBound)
        if last > first, b.lineStarts[last] == r.upperBound { last -= 1 }
        return first ... last
    }

    /// Indents (or outdents) `indentedLines` as one undo step; the cursor and
    /// the mark stay on their characters. O(lines × (log s + n)).
    mutating func indentLines(outdent: Bool) {
        let lines = indentedLines
        undo.seal()
        var steps: [UndoHistory.Step] = []
        let unit = indentUnit
        for line in lines.reversed() {
            let range = doc.buffer.lineRange(line)
            if outdent {
                let s = doc.buffer.scalars
                var k = 0
                if range.count > 0, s[range.lowerBound] == "\t" {
                    k = 1
                } else {
                    while k < (indentTabs ? tabWidth : indentWidth), k < range.count, s[range.lowerBound + k] == " " { k += 1 }
                }
                guard k > 0 else { continue }
                let (op, ids, removed) = doc.delete(at: range.lowerBound, length: k)
                outgoing.append(op)
                steps.append(.deleted(ids, text: removed, cursorAtEnd: false))
            } else {
                guard !range.isEmpty else { continue }
                let (op, ids) = doc.insert(unit, at: range.lowerBound)
                outgoing.append(op)
                steps.append(.inserted(ids))
            }
        }
        guard !steps.isEmpty else { message = outdent ? "Nothing to outdent" : nil; return }
        undo.record(group: steps)
        undo.seal()
        modified = true
        doc.cursor = resolveAnchor()
        reanchor()
        if let m = mark { mark = anchorAt(resolve(m)) }
    }
}
