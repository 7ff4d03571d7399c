import WeaveCore
import WeaveHistory
import WeavePeer

// How a session's history meets the wire: what a hub is told at start, and how
// a peer's authors and edit boundaries become this replica's history.

extension History {
    /// The authors as the wire carries them (colours clamped to a byte).
    public var authorCards: [AuthorCard] {
        authors.values.map { AuthorCard(replica: $0.replica, name: $0.name, colour: UInt8(clamping: $0.colour)) }
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
