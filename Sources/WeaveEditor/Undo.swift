import WeaveCore

/// Local undo and redo, as inverse operations on the RGA.
///
/// Only this replica's own edits are recorded. A step names the elements it
/// touched by ID, never by position, so edits by others in between do not
/// confuse it:
/// - undoing an insertion deletes those of its elements that are still visible
///   (ones others deleted meanwhile stay deleted);
/// - undoing a deletion inserts the deleted text again, as new elements, right
///   after the first deleted element's tombstone (`RGA.insert(_:after:)`), so
///   it lands where it was and in its order, however many deletions at the
///   same place are undone.
/// Re-inserted elements get new IDs; `aliases` maps each old ID to its new one
/// so older steps that name the old elements (an insertion undone after its
/// deletion was undone) still find them.
///
/// Steps are grouped: a burst of typing, of Backspace or of Delete is one group
/// until the cursor moves, another kind of edit happens, it reaches
/// `burstLimit` units, or `seal()` is called.
public struct UndoHistory: Sendable {
    /// One recorded change, by element IDs in document order.
    public enum Step: Sendable, Equatable {
        /// These elements were inserted.
        case inserted([ElementID])
        /// These elements, holding `text`, were deleted. `cursorAtEnd`: after
        /// re-inserting, put the cursor after the text (Backspace) or before it.
        case deleted([ElementID], text: [Unicode.Scalar], cursorAtEnd: Bool)
    }

    /// How a step was made, to decide whether it joins the previous group.
    public enum Kind: Sendable, Equatable {
        case typing, backspace, deleteForward, other
    }

    struct Group: Sendable {
        var steps: [Step]
        var kind: Kind
    }

    var undoStack: [Group] = []
    var redoStack: [Group] = []
    var aliases: [ElementID: ElementID] = [:]
    /// Whether the next step may join the last group.
    var open = false
    /// The most groups kept; older ones are dropped.
    public var limit = 1000

    public init() {}

    /// Ends the current group: the next step starts a new one. O(1).
    public mutating func seal() { open = false }

    /// Records a local step of `kind`, merging it into the last group when that
    /// group is open and of the same (burst) kind. Clears the redo stack.
    /// Amortised O(step size), O(group size) for Backspace merges.
    public mutating func record(_ step: Step, kind: Kind) {
        redoStack.removeAll()
        if open, kind != .other, let last = undoStack.last, last.kind == kind,
           Self.size(last.steps[last.steps.count - 1]) < Self.burstLimit,
           let merged = Self.merge(last.steps[last.steps.count - 1], step, kind) {
            undoStack[undoStack.count - 1].steps[last.steps.count - 1] = merged
        } else {
            undoStack.append(Group(steps: [step], kind: kind))
            if undoStack.count > limit { undoStack.removeFirst(undoStack.count - limit) }
        }
        open = kind != .other
    }

    /// Records several steps as one group of their own (a restore: a deletion
    /// and an insertion undone together). Clears the redo stack.
    public mutating func record(group steps: [Step]) {
        guard !steps.isEmpty else { return }
        redoStack.removeAll()
        undoStack.append(Group(steps: steps, kind: .other))
        if undoStack.count > limit { undoStack.removeFirst(undoStack.count - limit) }
        open = false
    }

    /// The most units one burst step holds; merging copies the step, so this
    /// bounds the cost of a keystroke (a longer burst becomes several groups).
    static let burstLimit = 256

    static func size(_ step: Step) -> Int {
        switch step {
        case .inserted(let ids): return ids.count
        case .deleted(let ids, _, _): return ids.count
        }
    }

    static func merge(_ a: Step, _ b: Step, _ kind: Kind) -> Step? {
        switch (a, b, kind) {
        case (.inserted(let x), .inserted(let y), .typing):
            return .inserted(x + y)
        case (.deleted(let x, let tx, _), .deleted(let y, let ty, _), .backspace):
            return .deleted(y + x, text: ty + tx, cursorAtEnd: true)
        case (.deleted(let x, let tx, _), .deleted(let y, let ty, _), .deleteForward):
            return .deleted(x + y, text: tx + ty, cursorAtEnd: false)
        default:
            return nil
        }
    }

    /// The element `id` stands for now (following re-insertions). O(chain).
    func resolve(_ id: ElementID) -> ElementID {
        var id = id
        while let next = aliases[id] { id = next }
        return id
    }

    /// Undoes the last group on `doc`. Returns the operations made and where the
    /// cursor belongs, or nil when there is nothing to undo. A group whose
    /// elements others already removed undoes to nothing (no operations) but is
    /// still consumed.
    public mutating func undo(_ doc: inout DocumentEditing) -> (ops: [Operation], cursor: Int)? {
        guard let group = undoStack.popLast() else { return nil }
        open = false
        let (inverse, ops, cursor) = apply(group, to: &doc)
        redoStack.append(inverse)
        return (ops, cursor)
    }

    /// Redoes the last undone group; see `undo`.
    public mutating func redo(_ doc: inout DocumentEditing) -> (ops: [Operation], cursor: Int)? {
        guard let group = redoStack.popLast() else { return nil }
        open = false
        let (inverse, ops, cursor) = apply(group, to: &doc)
        undoStack.append(inverse)
        return (ops, cursor)
    }

    /// Applies the inverse of each step of `group`, last first; returns the
    /// group that undoes that.
    mutating func apply(_ group: Group, to doc: inout DocumentEditing) -> (Group, [Operation], Int) {
        var inverse: [Step] = []
        var ops: [Operation] = []
        var cursor = doc.cursor
        for step in group.steps.reversed() {
            switch step {
            case .inserted(let ids):
                // Delete the still-visible ones, in runs, from the end.
                var indexes: [Int] = []
                for id in ids {
                    if let (i, visible) = doc.rga.index(of: resolve(id)), visible { indexes.append(i) }
                }
                indexes.sort()
                var deletedIDs: [ElementID] = []
                var deletedText: [Unicode.Scalar] = []
                var k = indexes.count
                while k > 0 {
                    var j = k - 1
                    while j > 0 && indexes[j - 1] == indexes[j] - 1 { j -= 1 }
                    let (op, ids, text) = doc.delete(at: indexes[j], length: k - j)
                    ops.append(op)
                    deletedIDs.insert(contentsOf: ids, at: 0)
                    deletedText.insert(contentsOf: text, at: 0)
                    cursor = indexes[j]
                    k = j
                }
                inverse.append(.deleted(deletedIDs, text: deletedText, cursorAtEnd: true))
            case .deleted(let ids, let text, let atEnd):
                guard !ids.isEmpty, ids.count == text.count else {
                    inverse.append(.inserted([]))
                    continue
                }
                // Each run of deleted elements that still sit side by side goes
                // back right after its first element's tombstone: exactly where
                // it was and in its order, with anything written between the
                // runs since (by anyone, tombstones included) left between them.
                let current = ids.map(resolve)
                var chunks: [Range<Int>] = []
                var start = 0
                for i in current.indices.dropFirst() {
                    if doc.rga.element(after: current[i - 1]) != .some(current[i]) {
                        chunks.append(start ..< i)
                        start = i
                    }
                }
                chunks.append(start ..< current.count)
                var newIDs: [ElementID] = []
                var first = Int.max, last = 0
                for chunk in chunks {
                    let (op, made, at) = doc.insert(Array(text[chunk]), after: current[chunk.lowerBound])
                    ops.append(op)
                    newIDs += made
                    first = min(first, at)
                    last = max(last, at + chunk.count)
                }
                for (old, new) in zip(ids, newIDs) { aliases[resolve(old)] = new }
                inverse.append(.inserted(newIDs))
                cursor = atEnd ? last : first
            }
        }
        return (Group(steps: inverse, kind: group.kind), ops, cursor)
    }
}

/// What undo needs from the editor: the document, the cursor, and local edits
/// that keep the editor's text view in sync.
public struct DocumentEditing: Sendable {
    public var rga: RGA
    public var buffer: TextBuffer
    public var cursor: Int

    /// Inserts `text` at visible index `at`, updating the view. Returns the
    /// operation and the new elements' IDs. Precondition: text non-empty,
    /// `0 <= at <= count`. O(log s + n).
    public mutating func insert(_ text: [Unicode.Scalar], at: Int) -> (Operation, [ElementID]) {
        let op = rga.insert(text, at: at)!
        buffer.apply(TextEdit(position: at, removed: 0, inserted: text))
        let first = op.firstID
        let ids = (0 ..< text.count).map { ElementID(counter: first.counter &+ UInt32($0), replica: first.replica) }
        return (op, ids)
    }

    /// Inserts `text` right after element `reference` (visible or deleted; nil:
    /// the start), updating the view. Returns the operation, the new elements'
    /// IDs and the visible index of the first. Precondition: text non-empty;
    /// an unknown reference falls back to the end of the document.
    /// O(log s + n).
    public mutating func insert(_ text: [Unicode.Scalar], after reference: ElementID?) -> (Operation, [ElementID], Int) {
        guard let (op, at) = rga.insert(text, after: reference) else {
            let at = rga.count
            let (op, ids) = insert(text, at: at)
            return (op, ids, at)
        }
        buffer.apply(TextEdit(position: at, removed: 0, inserted: text))
        let first = op.firstID
        let ids = (0 ..< text.count).map { ElementID(counter: first.counter &+ UInt32($0), replica: first.replica) }
        return (op, ids, at)
    }

    /// Deletes `length` (> 0) visible scalars from `at`, updating the view.
    /// Returns the operation, the deleted IDs and text in document order.
    /// O(runs · log s + n).
    public mutating func delete(at: Int, length: Int) -> (Operation, [ElementID], [Unicode.Scalar]) {
        let text = Array(buffer.scalars[at ..< at + length])
        let op = rga.delete(at: at, length: length)!
        buffer.apply(TextEdit(position: at, removed: length, inserted: []))
        var ids: [ElementID] = []
        ids.reserveCapacity(length)
        if case .delete(let runs) = op.body {
            // A run lists its elements in document order (a backward run's
            // counters go down from `start`), so `element(k)` is already in order.
            for run in runs { ids += (0 ..< run.length).map { run.element($0) } }
        }
        return (op, ids, text)
    }
}
