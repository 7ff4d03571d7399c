import NIOConcurrencyHelpers
import WeaveCore
import WeaveHistory
import WeavePeer
import WeaveStore
import WeaveWorkspace

/// `weave serve DIR`: a shared folder kept by a headless peer that relays
/// between its joiners. The hub's loop only queues its events (`post`, O(1));
/// the serving thread applies them (`process`): every file and its history
/// written, renames and deletes carried out on disk, new files shared, all
/// made durable by one sync per round. So a slow disk never stalls a link.
public final class WorkspaceRelay: @unchecked Sendable {
    public let folder: WorkspaceFolder
    private let queue = NIOLockedValueBox<[PeerEvent]>([])
    private var marks: [DocumentID: MarkTable] = [:]
    private var manifestMarks = MarkTable()
    /// Set once the hub exists (`start`).
    public private(set) var hub: PeerHub?
    /// Each live file's path, as of the last round (read from any thread: `path(of:)`).
    private let paths = NIOLockedValueBox<[DocumentID: String]>([:])

    /// Called on the serving thread after each group commit that succeeded,
    /// with how long the commit (writes of new files + the one sync) took and
    /// the paths of the files whose edits it made durable (`--metrics`).
    public var onCommit: ((_ took: Duration, _ written: [String]) -> Void)?

    public init(folder: WorkspaceFolder) { self.folder = folder }

    /// Shares the folder's files with `hub` (whose main document is the folder's state).
    public func start(_ hub: PeerHub) throws {
        self.hub = hub
        try WorkspaceSession.share(folder, with: hub)
        try folder.commit()
        notePaths()
    }

    /// `document`'s path in the folder as of the last round, or nil (not a
    /// live file). Any thread; O(1).
    public func path(of document: DocumentID) -> String? {
        paths.withLockedValue { $0[document] }
    }

    /// Takes the live files' paths (serving thread; O(files)).
    private func notePaths() {
        var map: [DocumentID: String] = [:]
        for e in folder.state.files where !e.deleted { map[e.document] = e.path }
        paths.withLockedValue { $0 = map }
    }

    /// Queues a hub event (any thread; O(1), never waits for the disk).
    @Sendable public func post(_ event: PeerEvent) {
        switch event {
        case .documentOperations, .documentHistory, .remoteOperations, .history:
            queue.withLockedValue { $0.append(event) }
        default:
            break
        }
    }

    /// Applies what was queued (the serving thread only). Returns a sentence
    /// per problem (a file that could not be written, an operation refused).
    @discardableResult
    public func process() -> [String] {
        let events = queue.withLockedValue { q -> [PeerEvent] in
            defer { q.removeAll(keepingCapacity: true) }
            return q
        }
        guard !events.isEmpty || folder.fs.pending else { return [] }
        folder.deferSyncs()
        var problems: [String] = []
        var written: Set<DocumentID> = []
        var manifestChanged = false
        for event in events {
            if case .documentOperations(let d, _, _) = event { written.insert(d) }
            if case .remoteOperations = event { manifestChanged = true }
            do { try apply(event) } catch { problems.append("\(error)") }
        }
        if manifestChanged { notePaths() }
        let start = ContinuousClock.now
        do {
            try folder.commit()
            if let onCommit { onCommit(ContinuousClock.now - start, written.compactMap { folder.state.entry($0)?.path }.sorted()) }
        } catch { problems.append("not saved: \(error)") }
        problems += folder.messages
        folder.messages = []
        return problems
    }

    private func apply(_ event: PeerEvent) throws {
        switch event {
        case .documentOperations(let d, let ops, _):
            try folder.receive(ops, into: d, marks: marks[d] ?? MarkTable())
        case .documentHistory(let d, let note):
            try folder.learn(note.authors)
            for m in note.marks { _ = marks[d, default: MarkTable()].insert(m) }
        case .history(let note):
            try folder.learn(note.authors)
            for m in note.marks { _ = manifestMarks.insert(m) }
        case .remoteOperations(let ops, _):
            let previous = folder.state
            _ = try folder.receiveManifest(ops, marks: manifestMarks)
            try folder.manifest.flush()
            for s in folder.stores.values { try s.flush() }
            for (d, from, to) in folder.settle(previous: previous) where to != nil {
                // A moved file's history opens again at its new path (moving dropped it), so
                // a file whose text has not been written yet is written at the commit.
                if from != nil {
                    do { _ = try folder.store(d) } catch WorkspaceFailure.notShared {} catch { folder.messages.append("\(error)") }
                    continue
                }
                guard let hub else { continue }
                try WorkspaceSession.share(d, of: folder, with: hub)
                guard folder.state.isLive(d), folder.stores[d] != nil else { continue }  // refused here (issue 29)
                // Edits made while the file was deleted here went to the hub only: the history takes them now.
                if let held = try hub.withDocument(d, { $0 }).wait() {
                    let store = try folder.store(d)
                    let missing = held.operations(since: store.doc.version)
                    if !missing.isEmpty { try folder.receive(missing, into: d, marks: marks[d] ?? MarkTable()) }
                }
            }
        default:
            break
        }
    }

    /// On exit (the hub stopped): everything made durable.
    public func finish() throws {
        for p in process() { throw WorkspaceFailure.slow(p) }
        try folder.manifest.flush()
        for s in folder.stores.values { try s.flush() }
    }
}
