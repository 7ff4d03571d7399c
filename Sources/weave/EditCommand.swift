import ArgumentParser
import WeaveSession
import WeaveTerminal

/// `weave edit FILE`: edit a UTF-8 text file in the terminal, keeping its
/// whole history in `.FILE.weave` beside it.
///
/// FILE is created (empty) if missing, with its history. Every edit is written
/// to the history within ~50 ms (the status line says "history saved" after
/// the fsync); the plain text is written on Ctrl-S. Binary or non-UTF-8 files,
/// damaged or newer histories are refused with exit 1.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit a text file in the terminal, with its history (Ctrl-G for help, F2 time travel).")

    @Argument(help: "The file to edit; created if missing.")
    var file: String

    func run() throws {
        let session: EditorSession
        do {
            session = try EditorSession(path: file)
        } catch {
            throw ValidationFailure("\(error)")
        }
        do {
            try session.run()
        } catch let error as TerminalError {
            throw ValidationFailure(error.description)
        } catch {
            throw ValidationFailure("history not saved on quit: \(error)")
        }
    }
}

/// A user-facing failure: printed as "Error: …", exit status 1.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
