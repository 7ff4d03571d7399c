import NIOConcurrencyHelpers
import WeaveCore
import WeaveHistory
import WeavePeer
import WeaveStore

/// `weave serve`'s history: batches recorded from the hub's loop, made durable
/// from the main thread.
///
/// The hub's loop only appends a batch (with its arrival time) to a queue under
/// a lock held for O(1); the flushing thread takes the queue, records it in the
/// store and fsyncs **outside** the lock. So a slow disk delays durability, never
/// the loop: heartbeats, handshakes and relaying go on while the log syncs (an
/// fsync held under the loop's lock stalled every link during a connection storm).
/// Only the flushing thread touches the store.
public final class ServeHistory: @unchecked Sendable {
    private let store: StoredDocument
    private enum Entry {
        case ops(time: Int64, [Operation])
        case note(HistoryNote)
    }
    private let queue = NIOLockedValueBox<[Entry]>([])
    /// The peers' edit boundaries (flushing thread only): batches are recorded as their authors' edits.
    private var marks = MarkTable()
    /// The document as the history holds it when the server starts.
    public let document: RGA

    /// Takes over `store`'s document (the store keeps only the history).
    public init(_ store: StoredDocument) {
        self.store = store
        document = store.doc
        store.doc = RGA(replica: store.doc.localReplica)
    }

    /// Queues one batch of remote operations as an edit (any thread; O(1), never waits for the disk).
    public func record(_ ops: [Operation]) {
        guard !ops.isEmpty else { return }
        let time = StoredDocument.nowMillis()
        queue.withLockedValue { $0.append(.ops(time: time, ops)) }
    }

    /// Queues authors and edit boundaries a peer sent (any thread; O(1)).
    public func learn(_ note: HistoryNote) {
        queue.withLockedValue { $0.append(.note(note)) }
    }

    /// The history as loaded (read it before the hub starts: the flushing thread owns the store).
    public var loadedHistory: History { store.history }

    /// How many recorded batches wait to be written.
    public var queued: Int { queue.withLockedValue { $0.count } }

    /// Writes + fsyncs what was recorded since the last call (the flushing
    /// thread only). Returns the error when the flush failed; the batches are
    /// then already in the store's buffer and the flush is tried again next time.
    @discardableResult
    public func flushIfNeeded() -> Error? {
        let batches = queue.withLockedValue { q -> [Entry] in
            defer { q.removeAll(keepingCapacity: true) }
            return q
        }
        for b in batches {
            switch b {
            case .note(let note):
                for m in note.marks { marks.insert(m) }
                for a in note.authors { store.registerAuthor(a) }
            case .ops(let time, let ops):
                for piece in marks.split(ops, fallbackTime: time) { store.record(piece.ops, time: piece.time) }
            }
        }
        guard !batches.isEmpty || pendingFlush else { return nil }
        let start = ContinuousClock.now
        do {
            try store.flush()
            pendingFlush = false
            onFlush?(ContinuousClock.now - start)
            return nil
        } catch { pendingFlush = true; return error }
    }

    /// Called on the flushing thread after each write + fsync of the history
    /// that succeeded, with how long it took (`weave serve --metrics`).
    public var onFlush: ((Duration) -> Void)?

    private var pendingFlush = false

    /// On exit (after the hub has stopped): the history made durable, the plain
    /// text written, a long log compacted.
    public func finish(_ final: RGA) throws {
        if let error = flushIfNeeded() { throw error }
        try store.savePlainText(final.text)
        try store.compactIfLong(final)
    }
}
