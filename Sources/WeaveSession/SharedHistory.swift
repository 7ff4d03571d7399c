import WeaveCore
import WeaveHistory
import WeavePeer

// How a session's history meets the wire: what a hub is told at start, and how
// a peer's authors and edit boundaries become this replica's history.

extension History {
    /// The edits as marks: each range of each edit, at the edit's time. An edit
    /// recorded after marks existed is one author's run (one mark); an older
    /// one received as a batch gives one mark per replica in it, at the time it
    /// arrived (the best this history knows). O(edits · ranges).
    public var editMarks: [EditMark] {
        var out: [EditMark] = []
        out.reserveCapacity(edits.count)
        for e in edits {
            for r in e.ranges where r.count > 0 {
                out.append(EditMark(replica: r.replica, start: r.start, count: r.count, time: e.time))
            }
        }
        return out
    }

    /// The authors as the wire carries them (colours clamped to a byte).
    public var authorCards: [AuthorCard] {
        authors.values.map { AuthorCard(replica: $0.replica, name: $0.name, colour: UInt8(clamping: $0.colour)) }
    }

    /// Appends `ops` (applied in this order) as the edits their marks say,
    /// else as one edit at `fallbackTime`.
    public mutating func append(_ ops: [Operation], splitBy marks: MarkTable, fallbackTime: Int64) {
        for piece in marks.split(ops, fallbackTime: fallbackTime) {
            edits.append(Edit(time: piece.time, ops: piece.ops))
        }
    }
}

extension PeerHub {
    /// Tells the hub what `history` knows, so peers receive each edit with its
    /// author and time (see `addHistory(authors:marks:)`).
    public func addHistory(_ history: History) {
        addHistory(authors: history.authorCards, marks: history.editMarks)
    }
}

extension Author {
    public init(_ card: AuthorCard) {
        self.init(replica: card.replica, name: card.name, colour: Int(card.colour))
    }
}

extension EditorSession {
    /// A peer's authors and edit boundaries (`PeerEvent.history`).
    public func learn(_ note: HistoryNote) {
        learn(authors: note.authors.map(Author.init), marks: note.marks)
    }
}
