import Testing
import WeaveCore
@testable import WeaveEditor

/// The mouse in the file list (issue 33): a click on a file's row opens it,
/// a click on a folder's row does nothing, the wheel moves the selection and
/// the list stays open under it.
struct FileListMouseTests {
    func openList() -> Editor {
        var e = Editor(fileName: "notes/todo.txt", text: "the text", replica: ReplicaID(1))
        e.workspaceFiles = ["readme.md", "notes/todo.txt", "notes/ideas.md", "src/main.swift"]
            .map { FileListEntry(path: $0, isCurrent: $0 == "notes/todo.txt") }
        _ = e.handle(.ctrl("b"))
        return e
    }

    /// The screen row whose text holds `name`.
    func row(of name: String, _ e: Editor) -> Int? {
        e.render().lines.firstIndex { $0.contains(name) }
    }

    @Test func aClickOnAFileOpensIt() throws {
        var e = openList()
        let y = try #require(row(of: "main.swift", e))
        let effects = e.handle(.click(x: 6, y: y))
        #expect(effects.contains(.openFile("src/main.swift")), "\(effects)")
        #expect(e.fileList == nil, "opening closes the list")
    }

    @Test func aClickOnAFolderOrBelowTheRowsOpensNothing() throws {
        var e = openList()
        let y = try #require(e.render().lines.firstIndex { $0.hasSuffix("src/") || $0.contains("src/") })
        #expect(e.handle(.click(x: 2, y: y)).isEmpty)
        #expect(e.handle(.click(x: 2, y: 15)).isEmpty)
        #expect(e.fileList != nil)
    }

    @Test func theWheelMovesTheSelection() {
        var e = openList()
        let before = e.fileList?.selected
        _ = e.handle(.wheel(1))
        #expect(e.fileList != nil)
        #expect(e.fileList?.selected != before, "the wheel moves down the list")
    }
}
