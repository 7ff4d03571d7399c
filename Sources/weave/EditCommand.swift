#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import WeaveStore
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

    @Flag(help: "Only show FILE: no key edits it, nothing is written (no history either).")
    var readOnly = false

    func run() throws {
        // Before anything is created: a session that cannot start leaves no file behind.
        // Not a terminal, or one that cannot be driven (TERM unset, unknown, dumb): said and refused.
        if let refusal = Terminal.refusal() { throw ValidationFailure(refusal.description) }
        let session: EditorSession
        do {
            session = readOnly ? try EditorSession(readOnlyView: file, reason: "opened with --read-only")
                               : try EditorSession(path: file)
        } catch let error as StoreError where error.isWriteRefused && !readOnly && fileExists(file) {
            // FILE can be read but its history cannot be kept beside it: offer to show it.
            let reason = "its folder cannot hold its history (\(error))"
            guard Edit.askYesNo("weave: \(file): \(reason).\nOpen it read-only instead? [y/N] ") else {
                throw ValidationFailure("\(error) (weave edit --read-only \(file) shows it without writing)")
            }
            do { session = try EditorSession(readOnlyView: file, reason: "\(file.split(separator: "/").last.map(String.init) ?? file)'s folder is not writable") } catch {
                throw ValidationFailure("\(error)")
            }
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

extension Edit {
    /// Asks on the terminal; no terminal, or anything but y, is a no.
    static func askYesNo(_ question: String) -> Bool {
        guard isatty(0) != 0 else { return false }
        print(question, terminator: "")
        fflush(nil)
        guard let answer = readLine() else {
            print("")  // end of input (Ctrl-D): what follows starts on a line of its own
            return false
        }
        return answer.lowercased().hasPrefix("y")
    }
}

/// A user-facing failure: printed as "Error: …", exit status 1.
struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
