import ArgumentParser
import WeaveCore
import WeaveHistory
import WeaveStore
import WeaveSession
import WeaveTerminal

/// `weave replay FILE`: the time-travel pane, full screen and read-only, on a
/// document's history (one edited with `weave edit` or made by `weave import`).
/// Nothing is written; restore is disabled; Esc or Ctrl-Q quits.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a document's history in the time-travel pane (read-only).")

    @Argument(help: "A text file with a history (.FILE.weave beside it).") var file: String

    func run() throws {
        let sidecar = OpLog.sidecarPath(for: file)
        guard fileExists(sidecar) else {
            throw ValidationFailure("\(file) has no history (\(sidecar) not found); edit it with `weave edit` or make one with `weave import`")
        }
        let session: EditorSession
        do {
            let loaded = try OpLog.load(path: sidecar)
            let doc = try loaded.document(as: ReplicaID(0))
            let timeline = Timeline(doc: doc, history: loaded.history)
            session = try EditorSession(replay: file, timeline: timeline, document: doc)
        } catch {
            throw ValidationFailure("\(error)")
        }
        do {
            try session.run()
        } catch {
            throw ValidationFailure("\(error)")
        }
    }
}
