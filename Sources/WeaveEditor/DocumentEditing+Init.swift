import WeaveCore

extension DocumentEditing {
    /// `rga` with its text view, the cursor at the start (for editing a
    /// document without an `Editor`: the editor protocol's client). O(n).
    public init(rga: RGA) {
        self.init(rga: rga, buffer: TextBuffer(rga.scalars), cursor: 0)
    }

    /// Applies a peer's operation, keeping the text view in step; returns
    /// what changed, in visible positions. Throws what `RGA.receive` throws.
    public mutating func receive(_ op: Operation) throws -> [TextEdit] {
        let edits = try rga.receive(op)
        for e in edits { buffer.apply(e) }
        return edits
    }
}

extension Editor {
    /// Applies an edit made outside the editor's keys (an editor-protocol
    /// client's buffer): `body` changes the document through `DocumentEditing`
    /// (which keeps the text view in step); the cursor stays on its element
    /// and the file counts as modified when anything changed. Returns what
    /// `body` returns.
    public mutating func editExternally<T>(_ body: (inout DocumentEditing) throws -> T) rethrows -> T {
        let before = doc.rga.version
        let result = try body(&doc)
        if doc.rga.version != before {
            modified = true
            doc.cursor = resolveAnchor()
            reanchor()
            followCursor()
        }
        return result
    }
}

extension Editor {
    /// Places the cursor at `index` with a selection from `anchor` (nil: no
    /// selection), as another editor showing this document reports them
    /// (peers see both). Indices are clamped. O(log s).
    public mutating func placeCursor(_ index: Int, selectingFrom anchor: Int?) {
        setCursor(index)
        if let anchor, anchor != doc.cursor {
            mark = anchorAt(max(0, min(anchor, doc.buffer.count)))
        } else {
            mark = nil
        }
    }
}
