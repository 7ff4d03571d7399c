import NIOConcurrencyHelpers
import WeaveCore
import WeaveStore

/// `weave serve`'s history: batches recorded from the hub's loop, flushed from
/// the main thread; a lock between them.
public final class ServeHistory: @unchecked Sendable {
    private let store: StoredDocument
    private let lock = NIOLock()
    private var dirty = false
    /// The document as the history holds it when the server starts.
    public let document: RGA

    /// Takes over `store`'s document (the store keeps only the history).
    public init(_ store: StoredDocument) {
        self.store = store
        document = store.doc
        store.doc = RGA(replica: store.doc.localReplica)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }

    /// Records one batch of remote operations as an edit (any thread).
    public func record(_ ops: [Operation]) {
        locked { store.record(ops); dirty = true }
    }

    /// Write + fsync when something was recorded; a failure is reported and retried.
    /// Returns the error when the flush failed (it is tried again next time).
    @discardableResult
    public func flushIfNeeded() -> Error? {
        locked {
            guard dirty else { return nil }
            do { try store.flush(); dirty = false; return nil } catch { return error }
        }
    }

    /// On exit: the history made durable, the plain text written, a long log compacted.
    public func finish(_ final: RGA) throws {
        try locked {
            try store.flush()
            try store.savePlainText(final.text)
            try store.compactIfLong(final)
        }
    }
}
