import WeaveCore
import WeaveHistory

/// The selection: the text between the mark and the cursor.
///
/// Shift+movement sets the mark where the cursor was and moves (plain movement
/// then ends the selection); Alt-A sets a sticky mark that plain movement
/// extends (nano's mark). Esc cancels. With a selection, typing or pasting
/// replaces it (one undo step), Backspace/Delete delete it, Ctrl-C/Alt-6 copy
/// it, Ctrl-X/Ctrl-K cut it (one undo step), Ctrl-V/Ctrl-U paste over it.
/// Without one, Ctrl-C copies the cursor's line and Ctrl-X cuts it (as Ctrl-K).
/// Both ends are anchored to elements, so others' edits move neither.
extension Editor {
    /// The selected range of the visible text, nil when nothing is selected
    /// (no mark, or the mark at the cursor). O(log s).
    public var selection: Range<Int>? {
        guard let mark else { return nil }
        let m = resolve(mark), c = doc.cursor
        return m == c ? nil : min(m, c) ..< max(m, c)
    }

    /// Where the mark stands now, as an index of the visible text.
    var markIndex: Int? { mark.map(resolve) }

    /// Keys that only move the cursor (and so extend or end a selection).
    static func moves(_ key: Key) -> Bool {
        switch key {
        case .left, .right, .up, .down, .home, .end, .pageUp, .pageDown, .ctrlHome, .ctrlEnd, .ctrlLeft, .ctrlRight,
             .ctrl("a"), .ctrl("e"), .click:
            return true
        default:
            return false
        }
    }

    /// Handles the keys that concern the selection; false for the others (the
    /// plain key map then runs, after `endSelectionBefore`).
    mutating func handleSelectionKey(_ key: Key, wasCut: Bool) -> Bool {
        switch key {
        case .shift(let inner) where Self.moves(inner):
            if mark == nil { mark = anchorAt(doc.cursor); markSticky = false }
            return false  // the movement runs; the mark stays
        case .alt("a"), .alt("A"):
            if mark != nil {
                mark = nil
                message = "Mark unset"
            } else {
                mark = anchorAt(doc.cursor)
                markSticky = true
                message = "Mark set: move to select, Ctrl-C copies, Ctrl-X cuts, Esc cancels"
            }
            return true
        case .escape where mark != nil:
            mark = nil
            message = "Selection cancelled"
            return true
        case .ctrl("c"), .alt("6"):
            copySelectionOrLine()
            return true
        case .ctrl("k") where selection != nil, .ctrl("x"):  // Ctrl-X always; Ctrl-K here only on a selection
            if let r = selection { cutSelection(r) } else {
                mark = nil
                lastKeyWasCut = wasCut
                cutLine()
                lastKeyWasCut = true
            }
            return true
        case .ctrl("v"), .ctrl("u"):
            guard !cutBuffer.isEmpty else { message = "Nothing to paste: Ctrl-C copies, Ctrl-X cuts"; mark = nil; return true }
            replaceSelection(with: cutBuffer)
            return true
        case .char(let c) where selection != nil:
            replaceSelection(with: [c])
            return true
        case .enter where selection != nil:
            replaceSelection(with: ["\n"])
            return true
        case .tab where selection != nil:
            indentLines(outdent: false)
            return true
        case .shift(.tab):
            indentLines(outdent: true)
            return true
        case .paste(let s) where selection != nil:
            replaceSelection(with: Self.normalisedPaste(s))
            return true
        case .backspace, .delete, .ctrl("h"), .ctrl("d"):
            guard let r = selection else { mark = nil; return false }
            undo.seal()
            deleteRange(r, kind: .other)
            undo.seal()
            mark = nil
            return true
        default:
            return false
        }
    }

    /// Before a plain key runs: movement ends a Shift selection (not a sticky
    /// mark); any other key but Shift+movement ends both.
    mutating func endSelectionBefore(_ key: Key) {
        guard mark != nil else { return }
        if case .shift(let inner) = key, Self.moves(inner) { return }
        if Self.moves(key) {
            if !markSticky { mark = nil }
            return
        }
        switch key {
        case .ctrl("s"), .function, .ctrl("g"), .ctrl("l"), .ctrl("o"), .ctrl("n"), .ctrl("f"), .ctrl("w"): return
        default: mark = nil
        }
    }

    /// Puts `text` in the clipboard (Ctrl-V pastes it): the host's own copies,
    /// such as the join command from the peer list.
    public mutating func copyToClipboard(_ text: String) {
        cutBuffer = Array(text.unicodeScalars)
        clipboardChanged = false  // the host already decided about the system clipboard
    }

    /// Ctrl-C / Alt-6: the selection (or the cursor's line with its newline)
    /// into the clipboard; the text is unchanged and the selection ends.
    mutating func copySelectionOrLine() {
        if let r = selection {
            cutBuffer = Array(doc.buffer.scalars[r])
            message = "Copied \(counted(r.count, "character"))"
        } else {
            let line = doc.buffer.line(of: doc.cursor)
            var range = doc.buffer.lineRange(line)
            if range.upperBound < doc.buffer.count { range = range.lowerBound ..< range.upperBound + 1 }
            cutBuffer = Array(doc.buffer.scalars[range])
            message = "Copied line \(line + 1)"
        }
        mark = nil
    }

    /// Ctrl-X / Ctrl-K on a selection: into the clipboard and out of the text,
    /// one undo step.
    mutating func cutSelection(_ r: Range<Int>) {
        cutBuffer = Array(doc.buffer.scalars[r])
        undo.seal()
        deleteRange(r, kind: .other)
        undo.seal()
        mark = nil
        message = "Cut \(counted(r.count, "character"))"
    }

    /// Inserts `text` at the cursor, replacing the selection if there is one:
    /// one undo step either way.
    mutating func replaceSelection(with text: [Unicode.Scalar]) {
        undo.seal()
        var steps: [UndoHistory.Step] = []
        var at = doc.cursor
        if let r = selection {
            let (op, ids, removed) = doc.delete(at: r.lowerBound, length: r.count)
            outgoing.append(op)
            steps.append(.deleted(ids, text: removed, cursorAtEnd: false))
            at = r.lowerBound
        }
        if !text.isEmpty {
            let (op, ids) = doc.insert(text, at: at)
            outgoing.append(op)
            steps.append(.inserted(ids))
        }
        mark = nil
        guard !steps.isEmpty else { return }
        undo.record(group: steps)
        undo.seal()
        modified = true
        setCursor(at + text.count)
    }

    /// A bracketed paste's text with `\r\n` and `\r` made `\n`.
    static func normalisedPaste(_ s: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var lastCR = false
        for u in s.unicodeScalars {
            if u == "\r" { out.append("\n"); lastCR = true; continue }
            if u == "\n" && lastCR { lastCR = false; continue }
            lastCR = false
            out.append(u)
        }
        return out
    }
}
