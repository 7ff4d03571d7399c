import ArgumentParser
import WeaveTerminal

/// `weave edit FILE`: edit a UTF-8 text file in the terminal.
///
/// The file is read once (a missing one is created only when saved) and never
/// written until Ctrl-S. Binary or non-UTF-8 files are refused with exit 1.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit a text file in the terminal (Ctrl-G for help).")

    @Argument(help: "The file to edit; created on first save if missing.")
    var file: String

    func run() throws {
        let session: EditorSession
        do {
            session = try EditorSession(path: file)
        } catch {
            throw ValidationFailure(error.description)
        }
        do {
            try session.run()
        } catch let error as TerminalError {
            throw ValidationFailure(error.description)
        }
    }
}

/// A user-facing failure: printed as "Error: …", exit status 1.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
