// Ctrl-Q while edits are not yet acknowledged: the link feeds `QuitFlow` (a pure state machine
// in WeaveEditor) and performs its actions (messages, the question, saving a copy, ending).
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
    // MARK: Quitting with edits not yet acknowledged

    /// What `QuitFlow` is told with each input: the delivery (blocks briefly on the hub's loop) and the link's state.
    func quitFacts() -> QuitFlow.Facts {
        QuitFlow.Facts(pending: (try? hub.currentDelivery().pending) ?? 0, now: EditorSession.now(),
                       canSend: online && !connected.isEmpty, peerConnected: !connected.isEmpty,
                       hasFile: session.store != nil, joiner: dialsOut, wait: quitWait)
    }

    /// Ctrl-Q: false (the editor quits as usual) when every edit made here is
    /// held by a peer, or when a file's history keeps the rest for the next
    /// run and no peer is there to wait for; otherwise waits for them (at most
    /// `quitWait` seconds), or asks at once when no peer can take them now.
    func startQuit() -> Bool { perform(quit.step(.quit, quitFacts())) }

    /// Every edit acknowledged: quit; time is up: ask (in memory) or quit (the history keeps them).
    func checkQuit() { perform(quit.step(.tick, quitFacts())) }

    func quitKey(_ key: Key) { perform(quit.step(.key(key), quitFacts())) }

    /// Performs `QuitFlow`'s actions in order; false when one hands Ctrl-Q to the editor.
    @discardableResult
    func perform(_ actions: [QuitFlow.Action]) -> Bool {
        var consumed = true
        for action in actions {
            switch action {
            case .passToEditor: consumed = false
            case .notify(let text): session.updateEditor { $0.notify(text) }
            case .question(let q): session.updateEditor { $0.question = q }
            case .exitNote(let note): exitNote = note
            case .saveCopy:
                let next: QuitFlow.Input
                do { next = .copySaved(path: try saveCopy()) } catch { next = .copyFailed("\(error)") }
                perform(quit.step(next, quitFacts()))
            case .finish: finishQuit()
            }
        }
        return consumed
    }

    /// Writes the whole text to a new file in `copyFolder` (`weave-copy-STAMP.txt`,
    /// local time) and returns its path. Throws when it cannot be written.
    func saveCopy() throws -> String {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
        let name = (copyFolder == "." ? "" : copyFolder + "/") + "weave-copy-\(stamp).txt"
        try AtomicFile.write(name, Array(session.editor.text.utf8))
        return name
    }

    /// Ends the session (a session without a file), or runs the editor's own
    /// Ctrl-Q (it may still ask about an unsaved FILE).
    func finishQuit() {
        if session.store == nil {
            endedSession = true
            session.loop.stop()
        } else {
            passQuit = true
            session.press(.ctrl("q"))
            passQuit = false
        }
    }

    static func edits(_ n: Int) -> String { QuitFlow.edits(n) }

    /// Quitting with a file while some edits reached no peer: where they are and when they go.
    static func unsentNote(_ n: Int, joiner: Bool) -> String { QuitFlow.unsentNote(n, joiner: joiner) }
}
