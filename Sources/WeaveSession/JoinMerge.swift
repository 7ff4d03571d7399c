#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeaveCore
import WeavePeer
import WeaveStore

/// Why `weave join` did not open a session, in words for the user.
public enum JoinError: Error, Equatable, CustomStringConvertible {
    /// Nothing (or nothing usable) came from the host before the deadline.
    case noAnswer(String)
    /// The host answers, but the link is too slow for the handshake or the document to arrive in time.
    case slowLink(String)
    /// The link was refused for good (revoked, not let in, wrong version…).
    case refused(String)
    /// The first dial was refused: nothing listens at that address.
    case nothingListening(address: String)
    /// Whatever listens there does not answer Weave's TLS handshake.
    case notWeaveHost(address: String)
    /// The host sent an operation that does not apply.
    case badOperation(String)
    /// `--offline` with a FILE that no earlier join kept a history for.
    case offlineNeedsHistory(file: String)
    /// FILE holds other text than the shared document and the user did not agree to replace it.
    case fileDiffers(file: String, fileCount: Int, sharedCount: Int)
    /// FILE or its history could not be read or written.
    case store(String)
    /// FILE's history does not merge with the shared document.
    case merge(file: String, reason: String)

    public var description: String {
        switch self {
        case .noAnswer(let why): return "could not join: \(why) (is weave host or weave serve running there?)"
        case .slowLink(let why): return "could not join: \(why); the host is there, but the link is too slow (--timeout waits longer)"
        case .refused(let why): return "could not join: \(why)"
        case .nothingListening(let address): return "could not join: nothing is listening on \(address)"
        case .notWeaveHost(let address): return "could not join: \(address) is not a Weave host"
        case .badOperation(let why): return "could not join: the host sent an operation that does not apply: \(why)"
        case .offlineNeedsHistory(let file):
            return "--offline needs a copy kept by an earlier join; \(file) has no history (join online once)"
        case .fileDiffers(let file, let fileCount, let sharedCount):
            return "not joined: \(file) (\(fileCount) characters) differs from the shared document (\(sharedCount) characters). "
                + "Join with another FILE, or without FILE to edit in memory."
        case .store(let why): return why
        case .merge(let file, let why): return "the shared document does not merge with \(file)'s history: \(why)"
        }
    }
}

/// How a joiner's session is made (`weave join`): the shared document is
/// received, then merged with the joiner's own copy of FILE when there is one.
///
/// The policy, which the tests pin down:
/// - without FILE the document is edited in memory;
/// - a new or empty FILE without history becomes a copy of the shared document;
/// - FILE with a history kept by an earlier join of the same document merges
///   both ways (what the joiner wrote offline reaches the host);
/// - FILE with unrelated text or history is replaced only when `confirm`
///   agrees (its history is kept aside as `.FILE.weave.before-join`);
///   otherwise nothing is written and `.fileDiffers` is thrown.
public enum JoinMerge {
    /// Waits (at most `seconds`, longer while the host's user is asked to let
    /// this key in) until the hub has caught up with the host: operations go to
    /// `shared`, other events to `early` (for the session to replay). Calls
    /// `waiting` once when the host asks its user. Throws `JoinError`; at once
    /// (`.nothingListening`, `.notWeaveHost`) when the first dial is refused or
    /// answered by something that is not a Weave host.
    public static func receiveDocument(inbox: PeerInbox, into shared: inout RGA, early: inout [PeerEvent], seconds: Double,
                                       waiting: () -> Void = {}) throws(JoinError) {
        // Never a trap: NaN, infinite, negative or huge waits are clamped (the command line refuses them first).
        let wait = seconds.isFinite ? min(max(seconds, 0), 1e6) : (seconds > 0 ? 1e6 : 0)
        var deadline = EditorSession.now() + UInt64(wait * 1e9)
        var lastError = "no answer"
        var slow = false
        var address = "the host"
        var caughtUp = false
        while !caughtUp {
            let now = EditorSession.now()
            guard now < deadline else { throw slow ? .slowLink(lastError) : .noAnswer(lastError) }
            var fds = [pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, Int32(min(1000, (deadline - now) / 1_000_000 + 1)))
            for event in inbox.drain() {
                switch event {
                case .remoteOperations(let ops, _):
                    do { try shared.receive(contentsOf: ops) } catch { throw .badOperation("\(error)") }
                case .caughtUp:
                    caughtUp = true
                    early.append(event)
                case .connecting(_, let to, _):
                    address = to
                    early.append(event)
                case .retrying(_, _, let reason):
                    // Before the document has come, a refused connection or a
                    // non-Weave answer is final: waiting would not change it.
                    if case .connectionRefused = reason { throw .nothingListening(address: address) }
                    if case .unauthorized(.notWeaveHost) = reason { throw .notWeaveHost(address: address) }
                    lastError = "\(reason)"
                    if case .slowLink = reason { slow = true }
                    early.append(event)
                case .linkFailed(_, let reason):
                    throw .refused("\(reason)")
                case .awaitingApproval:
                    // The host's user is asked; the host refuses after its own timeout.
                    waiting()
                    lastError = "the host did not answer the request to join"
                    deadline = max(deadline, EditorSession.now() + 130 * 1_000_000_000)
                default:
                    early.append(event)
                }
            }
        }
    }

    /// The joiner's editing session: in memory without `file`; with `file`, its
    /// stored copy merged with `shared` (see the policy above). Operations the
    /// joiner has and the host lacks are submitted to `hub`. `confirm(fileCount,
    /// sharedCount)` is asked before FILE's other text is replaced. `early`:
    /// the events that came with the document; its `.history` notes make the
    /// received text the host's edits, by name, in FILE's history.
    public static func openSession(file: String?, address: String, author: String, offline: Bool, replica: ReplicaID,
                                   shared: RGA, hub: PeerHub, early: [PeerEvent] = [],
                                   confirm: (Int, Int) -> Bool) throws(JoinError) -> EditorSession {
        guard let file else {
            do {
                return try EditorSession(
                    memory: "[\(address)]", document: shared,
                    saveRefusal: "in memory; keep it: weave join \(address) --invite TOKEN FILE")
            } catch { throw .store("\(error)") }
        }
        let sidecar = OpLog.sidecarPath(for: file)
        let hasSidecar = access(sidecar, F_OK) == 0
        let fileText: String?
        do { fileText = try StoredDocument.readText(file) } catch { throw .store("\(error)") }
        // FILE's text as the editor would show it: a CRLF file is compared with the
        // shared text without its \r's, and keeps its CRLF when it is rewritten.
        let fileEnding = fileText.map(LineEnding.detect) ?? .lf
        let fileDocumentText = fileText.map { fileEnding.documentText(fromFile: $0) }
        // Nothing received yet to compare with: only a copy kept by an earlier
        // join (its history) can be edited offline and merged later.
        if offline, !hasSidecar, let fileText, !fileText.isEmpty { throw .offlineNeedsHistory(file: file) }
        var replace = false
        if let fileText, !fileText.isEmpty || hasSidecar, !offline {
            if hasSidecar {
                // A copy kept by an earlier join shares replicas with the shared document.
                let loaded: RGA
                do { loaded = try OpLog.load(path: sidecar).document(as: replica) } catch { throw .store("\(error)") }
                // (An empty shared document shares nothing: FILE's text would be pushed
                // into someone else's document, so that is asked too.)
                let related = loaded.count == 0
                    || loaded.version.counts.contains { shared.seen($0.key) > 0 && $0.value > 0 }
                replace = !related
            } else {
                replace = true  // even the same text needs the shared history (its element IDs)
            }
            if replace && fileDocumentText != shared.text {
                let fileCount = (fileDocumentText ?? fileText).unicodeScalars.count
                guard confirm(fileCount, shared.count) else {
                    throw .fileDiffers(file: file, fileCount: fileCount, sharedCount: shared.count)
                }
            }
        }
        if replace {
            if hasSidecar, rename(sidecar, sidecar + ".before-join") != 0 {
                throw .store("cannot keep \(sidecar) aside as \(sidecar).before-join: \(String(cString: strerror(errno)))")
            }
            do { try AtomicFile.write(file, []) } catch { throw .store("\(error)") }
        }
        let session: EditorSession
        do { session = try EditorSession(path: file, author: author, replica: replica) } catch { throw .store("\(error)") }
        if replace, fileEnding == .crlf { session.store?.lineEnding = .crlf }
        for e in early { if case .history(let note) = e { session.learn(note) } }
        if let store = session.store { hub.addHistory(store.history) }  // before its own edits go out
        let mine = session.editor.doc.rga
        do { try session.receive(shared.operations(since: mine.version)) } catch {
            throw .merge(file: file, reason: "\(error)")
        }
        hub.submit(mine.operations(since: shared.version))
        if fileText == nil || replace || fileText == "" {
            // A new copy: FILE holds the shared text from the start.
            do {
                try session.store?.savePlainText(session.editor.text)
                try session.store?.flush()
            } catch { throw .store("\(file): \(error)") }
            session.updateEditor { $0.setModified(false) }
        }
        return session
    }
}
