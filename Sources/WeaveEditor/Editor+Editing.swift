import WeaveCore

/// Local edits: every change goes through `insert`/`delete` here, which update
/// the RGA and the text view together, record an undo step, and queue the
/// operation for peers.
extension Editor {
    /// Inserts `text` at the cursor and moves past it. O(log s + n).
    mutating func insertAtCursor(_ text: [Unicode.Scalar], kind: UndoHistory.Kind) {
        guard !text.isEmpty else { return }
        let at = doc.cursor
        let (op, ids) = doc.insert(text, at: at)
        outgoing.append(op)
        undo.record(.inserted(ids), kind: kind)
        modified = true
        setCursor(at + text.count)
    }

    /// Deletes `range` and leaves the cursor at its start. `kind` decides undo
    /// grouping (Backspace puts the cursor after the text when undone).
    /// O(runs · log s + n).
    mutating func deleteRange(_ range: Range<Int>, kind: UndoHistory.Kind) {
        guard !range.isEmpty else { return }
        let (op, ids, text) = doc.delete(at: range.lowerBound, length: range.count)
        outgoing.append(op)
        undo.record(.deleted(ids, text: text, cursorAtEnd: kind == .backspace), kind: kind)
        modified = true
        setCursor(range.lowerBound)
    }

    mutating func backspace() {
        let c = doc.cursor
        guard c > 0 else { return }
        deleteRange(previousBoundary(c) ..< c, kind: .backspace)
    }

    mutating func deleteForward() {
        let c = doc.cursor
        guard c < doc.buffer.count else { return }
        deleteRange(c ..< nextBoundary(c), kind: .deleteForward)
    }

    /// Ctrl-K: removes the cursor's line with its newline into the cut buffer;
    /// consecutive cuts collect lines together. O(line + log s + n).
    mutating func cutLine() {
        let line = doc.buffer.line(of: doc.cursor)
        var range = doc.buffer.lineRange(line)
        if range.upperBound < doc.buffer.count { range = range.lowerBound ..< range.upperBound + 1 }
        let text = Array(doc.buffer.scalars[range])
        if !lastKeyWasCut { cutBuffer = [] }
        cutBuffer += text
        guard !range.isEmpty else { return }
        undo.seal()
        deleteRange(range, kind: .other)
    }

    /// Ctrl-U: inserts the cut buffer at the cursor.
    mutating func paste() {
        guard !cutBuffer.isEmpty else { message = "Nothing to paste: Ctrl-C copies, Ctrl-X cuts"; return }
        undo.seal()
        insertAtCursor(cutBuffer, kind: .other)
    }

    /// Inserts a pasted block as one undoable edit, with `\r\n` and `\r` made
    /// `\n`.
    mutating func pasteBlock(_ s: String) {
        undo.seal()
        insertAtCursor(Self.normalisedPaste(s), kind: .other)
    }

    mutating func performUndo() {
        guard let (ops, cursor) = undo.undo(&doc) else { message = "Nothing to undo"; return }
        afterHistory(ops, cursor, what: "Undid")
    }

    mutating func performRedo() {
        guard let (ops, cursor) = undo.redo(&doc) else { message = "Nothing to redo"; return }
        afterHistory(ops, cursor, what: "Redid")
    }

    private mutating func afterHistory(_ ops: [Operation], _ cursor: Int, what: String) {
        outgoing += ops
        if ops.isEmpty {
            message = "\(what) nothing: others already changed that text"
        } else {
            modified = true
        }
        setCursor(cursor)
    }
}
