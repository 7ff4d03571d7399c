// The hub's events as the link applies them: edits, presence, joins and leaves, the link's
// state on the message line, newcomers waiting to be let in, a read-only admission.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import WeaveCore
import WeaveEditor
import WeaveHistory
import WeavePeer
import WeaveStore

extension PeerLink {
    /// Applies one hub event (on the main thread).
    public func handle(_ event: PeerEvent) {
        apply(event)
        switch event {
        case .documentOperations, .remoteOperations:
            // Others' edits move this cursor without a key when they land right
            // at it: the editor keeps its cursor before the character after it,
            // peers place it after the character before it, so text put back
            // there (typed, pasted, undone) goes before the cursor here and
            // after it on their screens. Sent again when that character changed
            // (issue 28, defect 7).
            sendCursor()
        default:
            break
        }
    }

    func apply(_ event: PeerEvent) {
        switch event {
        case .documentOperations, .documentHistory, .documentCaughtUp:
            workspace?.handle(event)
        case .history where workspace != nil, .remoteOperations where workspace != nil:
            // A shared folder's main document is its file list, not the text shown.
            workspace?.handle(event)
        case .history(let note):
            session.learn(note)
            for a in note.authors { memoryHistory?.authors[a.replica] = a }
        case .remoteOperations(let ops, _):
            do {
                try session.receive(ops)
                remember(ops, remote: true)
            } catch {
                session.updateEditor { $0.notify("Could not apply a peer's edit: \(error)") }
            }
        case .presence(let p):
            guard p.replica != hub.replica else { break }
            presences[p.replica] = p.departed ? nil : p
            workspace?.handle(event)
            if !p.departed { memoryHistory?.authors[p.replica] = Author(replica: p.replica, name: p.name, colour: Int(p.colour)) }
        case .peerJoined(let info):
            workspace?.handle(event)
            connected[info.connection] = info
            if info.outbound, info.readOnly { becomeReadOnly() }
            queuedEdits = 0
            redialAt = nil
            wasConnected = true
            relayRestarting = false
            session.updateEditor { $0.notify("\(Self.display(info.name)) joined (\(info.address))") }
            lastCursor = .none  // resend so the newcomer has it
            sendCursor()
        case .caughtUp:
            break
        case .peerLeft(let info, let reason):
            connected[info.connection] = nil
            if !connected.values.contains(where: { $0.replica == info.replica }) { presences[info.replica] = nil }
            workspace?.handle(event)  // after: its file list shows these presences
            let why: String
            switch reason {
            case .closedLocally: why = ""
            case .peerLeft(let r):
                why = r.isEmpty ? "" : " (\(r))"
                if r == PeerHub.restartingReason, info.outbound { relayRestarting = true }
            default: why = " (\(reason))"
            }
            session.updateEditor { $0.notify("\(Self.display(info.name)) left\(why)") }
        case .connecting:
            redialAt = nil
        case .retrying(_, let delay, let reason):
            // The status line counts down to the next dial and counts the
            // queued edits; the reason is said when nothing else is on the
            // message line (a leave announcement stays).
            redialAt = EditorSession.now() + UInt64(max(0, delay.nanoseconds))
            if online, session.editor.message == nil {
                session.updateEditor { $0.notify("Link down: \(reason)") }
            }
        case .linkFailed(_, let reason):
            workspace?.handle(event)
            linkStopped = "\(reason)"
            session.updateEditor { $0.notify("Link stopped: \(reason)") }
        case .connectionError(_, .unauthorized(.notApproved)):
            break  // this side refused it ("Refused NAME" is on the message line)
        case .connectionError(_, .closedLocally):
            // Someone dialled in while this side is offline (F6) and was turned away.
            session.updateEditor { $0.notify("Offline: a peer that tried to connect was turned away (F6 goes back online)") }
        case .connectionError(let address, let reason):
            session.updateEditor { $0.notify("A connection from \(address) failed: \(reason)") }
        case .onlineChanged(let on):
            online = on
            session.updateEditor { $0.notify(on ? "Back online" : "Offline (F6 goes back online)") }
        case .approvalRequested(let n):
            waiting.append(n)
            askNext()
        case .approvalWithdrawn(let request):
            if let n = waiting.first(where: { $0.request == request }) {
                waiting.removeAll { $0.request == request }
                session.updateEditor { $0.notify("\(Self.display(n.name)) stopped waiting to join") }
                askNext()
            }
        case .awaitingApproval:
            session.updateEditor { $0.notify("Waiting for the host to let you in…") }
        case .acknowledged:
            if case .sending = quitting { checkQuit() }
        case .editsDeclined(let info, let units, let reason):
            becomeReadOnly()
            session.updateEditor {
                $0.notify("Read-only: \(Self.display(info.name)) did not take \(units) edit\(units == 1 ? "" : "s") (\(reason)); the link stays open")
            }
        }
    }

    /// Why a read-only joiner's editor refuses edits.
    public static let readOnlyReason = "read-only invitation"

    /// The joiner's invitation is read-only (its token says so, or the host's
    /// answer): the editor refuses every edit with the reason, and the link
    /// keeps bringing the others' edits.
    public func becomeReadOnly() {
        isReadOnly = true
        guard session.editor.readOnly == nil else { return }
        session.updateEditor { $0.readOnly = Self.readOnlyReason }
    }

    /// Puts the first waiting newcomer's question on the message line (or clears it).
    func askNext() {
        let q = waiting.first.map { n in
            "\(Self.display(n.name)) (\(n.address), key \(n.shortKey)\(n.readOnly ? ", read-only" : "")) wants to join. Let in? y/n"
                + (waiting.count > 1 ? "  (+\(waiting.count - 1) waiting)" : "")
        }
        session.updateEditor { $0.question = q }
    }

    /// Answers the first waiting newcomer.
    public func answerFirst(allow: Bool) {
        guard let n = waiting.first else { return }
        waiting.removeFirst()
        hub.answer(n.request, allow: allow)
        session.updateEditor { $0.notify(allow ? "Let \(Self.display(n.name)) in" : "Refused \(Self.display(n.name))") }
        askNext()
    }
}
