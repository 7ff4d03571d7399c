import WeaveEditor
import WeaveCore

/// One `weave edit FILE` session: the editor model, the terminal and the file,
/// driven by an `EventLoop`. Effects the model asks for are carried out here:
/// saving (atomically, reporting failure on the message line), quitting,
/// redrawing. Broadcast effects are handed to `onBroadcast` (networking, later).
public final class EditorSession {
    public private(set) var editor: Editor
    public let path: String
    public let terminal = Terminal()
    public let loop: EventLoop
    /// Receives the operations of each local edit (no-op until networking).
    public var onBroadcast: ([Operation]) -> Void = { _ in }

    /// Opens `path` for editing: its text, or empty when missing. Throws
    /// `DocumentFile.Failure` for unreadable or non-text files. Writes nothing.
    public init(path: String) throws(DocumentFile.Failure) {
        self.path = path
        let loaded = try DocumentFile.load(path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        editor = Editor(fileName: name, text: loaded ?? "")
        loop = try EventLoop()
        editor.notify(loaded == nil ? "New file: written on Ctrl-S" : "F1 or Ctrl-G: help")
    }

    /// Runs until the user quits. The terminal is restored on return, on throw,
    /// and on fatal signals (see `Terminal`).
    public func run() throws {
        try terminal.start()
        defer { terminal.stop() }
        _ = editor.handle(.resize(width: terminal.size.width, height: terminal.size.height))
        loop.onInput = { [unowned self] in
            for key in terminal.readKeys() {
                perform(editor.handle(key))
            }
        }
        loop.afterEvents = { [unowned self] in terminal.draw(editor.render()) }
        terminal.draw(editor.render())
        loop.run()
    }

    /// Applies remote operations (for the network layer, on the main thread).
    public func receive(_ ops: [Operation]) throws {
        try editor.receive(ops)
    }

    func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .save(let text):
                do {
                    try DocumentFile.save(text, to: path)
                    editor.didSave(error: nil)
                } catch {
                    editor.didSave(error: error.description)
                }
            case .quit:
                loop.stop()
            case .redraw:
                terminal.invalidate()
            case .broadcast(let ops):
                onBroadcast(ops)
            case .bell:
                break
            }
        }
    }
}
