import NIOCore
import WeaveCore
import WeaveHistory

/// One document of a shared folder, held by the hub beside its main document
/// (which is then the folder's own state). Loop-confined.
final class SharedDocument {
    let id: DocumentID
    var rga: RGA
    /// Where each replica's edits of this document begin and end (docs/WIRE.md, "History").
    var marks = MarkTable()

    init(id: DocumentID, rga: RGA) {
        self.id = id
        self.rga = rga
    }
}

/// What one connection knows of one document of a shared folder. Loop-confined.
final class DocumentLink {
    /// A lower bound of what the peer holds: its Open's vector, raised by every
    /// unit sent to it and received from it (as `PeerConnection.known`).
    var known = VersionVector()
    /// The peer asked for the document (it sent Open): its units go to it.
    var wanted = false
    /// This side asked for it on this connection (sent Open).
    var opened = false
    /// Authors whose card went with this document's units on this connection.
    var authorsSent: Set<ReplicaID> = []
    /// What the peer held when it opened the document, until this side holds it too.
    var catchUp: VersionVector?
}

/// Shared folders: one link carries every document (docs/WIRE.md, "Documents").
///
/// A document is exchanged on a connection once both sides hold it: each side
/// sends Open(document, what it holds) for every document it holds — when the
/// connection opens and when it adds one — and answers an Open by sending the
/// units the other side lacks, then every new unit as it comes. A peer that
/// never opens a document receives none of it (memory and traffic follow use).
/// An Open for a document this side does not hold yet is remembered: its units
/// go as soon as `addDocument` brings it.
extension PeerHub {
    // MARK: Public API

    /// Shares `document` as `id` of this hub's folder, with the history it
    /// already has (authors, edit marks). Sends Open to every connected peer,
    /// and the units of it that peers already asked for. Adding an ID held
    /// already merges `document`'s units into it. Returns at once.
    public func addDocument(_ id: DocumentID, _ document: RGA, authors: [Author] = [], marks: [EditMark] = []) {
        precondition(id != .main, "the main document is the hub's own")
        eventLoop.execute { [self] in
            for a in authors where a.replica != replica { authorCards[a.replica] = a }
            if let held = documents[id] {
                for op in document.operations(since: held.rga.version) { _ = try? held.rga.receive(op) }
                for m in marks { held.marks.insert(m) }
                changedDocuments.insert(id)
                scheduleOutbound()
                return
            }
            var rga = document
            if let limit = configuration.pendingLimit { rga.pendingLimit = limit }
            let shared = SharedDocument(id: id, rga: rga)
            for m in marks { shared.marks.insert(m) }
            documents[id] = shared
            for c in connections.values where c.state == .open {
                if let link = c.documents[id] { checkDocumentCaughtUp(id, link) }
                sendOpen(id, on: c)
                pushDocument(id, to: c)
                c.flush()
            }
        }
    }

    /// Applies local operations made on document `id` (see `submit(_:time:)`)
    /// and sends them to the peers that opened it. Returns at once.
    public func submit(_ ops: [Operation], document id: DocumentID, time: Int64? = nil) {
        guard id != .main else { return submit(ops, time: time) }
        guard !ops.isEmpty else { return }
        let time = time ?? Int64(PeerHub.wallClockMilliseconds())
        eventLoop.execute { [self] in
            guard let shared = documents[id] else {
                logger.error("operations for a document not added", metadata: ["document": "\(id)"])
                return
            }
            for m in PeerHub.marks(of: ops, time: time) { shared.marks.insert(m) }
            for op in ops {
                do { try shared.rga.receive(op) } catch {
                    logger.error("local operation refused", metadata: ["error": "\(error)", "document": "\(id)"])
                }
            }
            changedDocuments.insert(id)
            sendOutbound(force: true)
        }
    }

    /// Runs `body` on the hub's loop with document `id` (nil when not added).
    /// Called on the loop (an `EmbeddedEventLoop` in tests), it runs at once:
    /// waiting there for a task queued behind the caller would never end.
    public func withDocument<T: Sendable>(_ id: DocumentID, _ body: @escaping @Sendable (RGA?) -> T) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return eventLoop.makeSucceededFuture(body(id == .main ? document : documents[id]?.rga)) }
        return eventLoop.submit { [self] in body(id == .main ? document : documents[id]?.rga) }
    }

    // MARK: On the loop

    /// Why a peer sharing `theirs` cannot link with this hub; nil when it can.
    func shareMismatch(_ theirs: Greeting.Share) -> String? {
        switch (configuration.share, theirs) {
        case (.file, .file): return nil
        case (.file, .folder):
            return "this host shares one file, not a folder: join it with weave join ADDRESS --invite TOKEN [FILE]"
        case (.folder, .file):
            return "this host shares a folder: join it into a folder, weave join ADDRESS --invite TOKEN DIR"
        case (.folder(let mine), .folder(let other)):
            if other == 0 || other == mine { return nil }
            return "this host shares another folder than the one the joining folder mirrors: join into an empty folder"
        }
    }

    /// Each run of consecutive units of one replica in `ops` as one edit made at `time`.
    static func marks(of ops: [Operation], time: Int64) -> [EditMark] {
        var out: [EditMark] = []
        var run: EditMark?
        for op in ops where op.length > 0 {
            if var r = run, r.replica == op.replica, r.end == op.seq {
                r.count += UInt32(op.length)
                run = r
            } else {
                if let r = run { out.append(r) }
                run = EditMark(replica: op.replica, start: op.seq, count: UInt32(op.length), time: time)
            }
        }
        if let r = run { out.append(r) }
        return out
    }

    /// A connection opened: ask for every document held (not flushed).
    func openDocuments(on c: PeerConnection) {
        for id in documents.keys.sorted() { sendOpen(id, on: c) }
    }

    func sendOpen(_ id: DocumentID, on c: PeerConnection) {
        guard let shared = documents[id] else { return }
        let link = c.documentLink(id)
        guard !link.opened else { return }
        link.opened = true
        c.send(.open(id, shared.rga.version))
    }

    /// The peer on `c` asked for document `id`, holding `version`.
    func received(open id: DocumentID, version: VersionVector, from c: PeerConnection) {
        let limit = configuration.maxDocumentsPerConnection
        if c.documents[id] == nil, c.documents.count >= limit {
            c.fail(.unexpected(message: "Open beyond \(limit) documents", state: "open"))
            return
        }
        let link = c.documentLink(id)
        link.wanted = true
        link.known = link.known.merging(version)
        link.catchUp = version
        guard documents[id] != nil else { return }  // sent when added
        checkDocumentCaughtUp(id, link)
        sendOpen(id, on: c)
        pushDocument(id, to: c)
        c.flush()
    }

    /// Applies a batch of document `id` from a peer; as `received(_:from:)`.
    /// A batch for a document this side never opened on `c` is a protocol error.
    func received(_ ops: [Operation], document id: DocumentID, from c: PeerConnection) throws(PeerError) {
        guard let shared = documents[id], let link = c.documents[id], link.opened else {
            throw .unexpected(message: "Ops for document \(id), which this side did not open", state: "open")
        }
        let ops = authored(ops, in: shared.rga, from: c)
        let before = shared.rga.version
        let (edits, failure) = PeerHub.apply(ops, to: &shared.rga, from: c) { link.known.cover($0) }
        let fresh = shared.rga.operations(since: before)
        if !fresh.isEmpty {
            emit(.documentOperations(id, fresh, edits: edits))
            changedDocuments.insert(id)
            scheduleOutbound()
        }
        checkDocumentCaughtUp(id, link)
        if let failure { throw failure }
    }

    /// Emits `documentCaughtUp` once this side holds what the peer held when it opened `id`.
    func checkDocumentCaughtUp(_ id: DocumentID, _ link: DocumentLink) {
        guard let target = link.catchUp, let shared = documents[id] else { return }
        if target.counts.allSatisfy({ shared.rga.seen($0.key) >= $0.value }) {
            link.catchUp = nil
            emit(.documentCaughtUp(id))
        }
    }

    /// Authors and marks of document `id` from `c` (as `received(_:from:)`).
    func received(_ h: HistoryNote, document id: DocumentID, from c: PeerConnection) {
        if c.readOnly && !c.outbound { return }
        guard let shared = documents[id] else { return }
        let h = authoredHistory(h, from: c)
        var fresh = HistoryNote()
        for a in h.authors where a.replica != replica && authorCards[a.replica] != a {
            authorCards[a.replica] = a
            fresh.authors.append(a)
        }
        for m in h.marks where shared.marks.insert(m) { fresh.marks.append(m) }
        if !fresh.isEmpty { emit(.documentHistory(id, fresh)) }
    }

    /// Sends `c` what it lacks of document `id`, if it asked for it (not
    /// flushed). Stops when the channel is not writable; the rest goes when it
    /// drains (`push(to:)`). O(replicas + what is sent).
    func pushDocument(_ id: DocumentID, to c: PeerConnection) {
        guard c.state == .open, let shared = documents[id], let link = c.documents[id], link.wanted, link.opened else { return }
        guard c.isWritable else { c.behindDocuments.insert(id); return }
        c.behindDocuments.remove(id)
        let missing = shared.rga.operations(since: link.known)
        guard !missing.isEmpty else { return }
        var batcher = OpBatcher(missing, maxUnits: configuration.maxUnitsPerFrame)
        while let batch = batcher.next() {
            guard c.isWritable else { c.behindDocuments.insert(id); return }
            sendOps(batch, of: shared.id, to: c, marks: shared.marks, authorsSent: &link.authorsSent, known: &link.known)
        }
    }
}

extension PeerConnection {
    /// This connection's state for document `id`, made on first use.
    func documentLink(_ id: DocumentID) -> DocumentLink {
        if let l = documents[id] { return l }
        let l = DocumentLink()
        documents[id] = l
        return l
    }
}
