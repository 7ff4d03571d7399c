import WeaveCore
import WeaveHistory
import WeavePeer

// How a session's history meets the wire: what a hub is told at start, and how
// a peer's authors and edit boundaries become this replica's history.

extension History {
    /// The authors, as a `HistoryNote` lists them (the codec clamps each colour to a byte).
    public var authorCards: [Author] { Array(authors.values) }
}

extension PeerHub {
    /// Tells the hub what `history` knows, so peers receive each edit with its
    /// author and time (see `addHistory(authors:marks:)`).
    public func addHistory(_ history: History) {
        addHistory(authors: history.authorCards, marks: history.editMarks)
    }
}

extension EditorSession {
    /// A peer's authors and edit boundaries (`PeerEvent.history`).
    public func learn(_ note: HistoryNote) {
        learn(authors: note.authors, marks: note.marks)
    }
}
