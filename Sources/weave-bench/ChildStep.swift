import ArgumentParser
import Foundation
import WeaveSession

/// The hidden options by which a benchmark runs one of its steps in a child
/// process of itself (`--child STEP [--file FILE]`), so that the step's time
/// and peak memory are the child's own, not the parent's.
struct ChildStep: ParsableArguments {
    @Option(name: .customLong("child"), help: .hidden)
    var step: String?

    @Option(help: .hidden)
    var file: String?
}

/// A fresh folder for one benchmark run (`weave-bench-NAME-PID` in the
/// temporary directory), removed when `body` returns or throws.
func withBenchFolder<T>(_ name: String, _ body: (String) throws -> T) throws -> T {
    let dir = NSTemporaryDirectory() + "weave-bench-\(name)-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// What `weave edit FILE` does up to its first 80x24 frame, minus the
/// terminal: the session opened (the history read or made) and the screen
/// rendered. Throws when FILE cannot be opened or shows nothing.
func openToFirstScreen(_ file: String) throws {
    let session = try EditorSession(path: file, author: "bench")
    var lines = 0
    session.updateEditor { editor in
        _ = editor.handle(.resize(width: 80, height: 24))
        _ = editor.render()
        lines = editor.buffer.lineCount
    }
    guard lines > 1 else { throw BenchFailure("the editor shows \(lines) lines") }
}
