import Testing
import WeaveCore
@testable import WeaveEditor

/// The workspace's file list, by example: opening, filtering, opening a file,
/// creating, renaming, deleting, Esc, the peers beside their file, refused
/// paths, read-only sessions and the session's updates.
@Suite struct FileListTests {
    static let files = ["readme.md", "notes/todo.txt", "notes/ideas.md", "src/main.swift"]

    func entries(_ paths: [String], current: String? = "notes/todo.txt") -> [FileListEntry] {
        paths.map { FileListEntry(path: $0, isCurrent: $0 == current) }
    }

    /// An 80x24 editor in a workspace of `paths`, the list open.
    func openList(_ paths: [String] = files, current: String? = "notes/todo.txt") -> Editor {
        var e = Editor(fileName: current ?? "x", text: "the text", replica: ReplicaID(1))
        e.workspaceFiles = entries(paths, current: current)
        #expect(e.handle(.ctrl("b")) == [])
        return e
    }

    func type(_ s: String, _ e: inout Editor) {
        for u in s.unicodeScalars { _ = e.handle(.char(u)) }
    }

    /// The rows drawn in reverse video (the selection) among the list's rows.
    func reversedRows(_ g: Grid, listRows: Range<Int>) -> [Int] {
        listRows.filter { y in g.rows[y].allSatisfy { $0.attributes.contains(.reverse) } }
    }

    @Test func withoutAWorkspaceCtrlBAndF5OnlySayWhatTheListIsFor() {
        for key in [Key.ctrl("b"), .function(5)] {
            var e = Editor(fileName: "a.txt", text: "abc")
            #expect(e.handle(key) == [], "no bell, no effect")
            #expect(e.fileList == nil)
            #expect(e.message?.contains("shared folders") == true && e.message?.contains("weave host DIR") == true, "\(e.message ?? "")")
            #expect(e.text == "abc")
            #expect(e.render().lines[0] == "abc", "the text stays")
        }
    }

    @Test func openingShowsTheTreeWithTheCurrentFileSelected() {
        let e = openList()
        #expect(e.fileList?.selected == "notes/todo.txt")
        let g = e.render()
        #expect(g.lines[0] == "Files (4)  ⏎ open  ^N new  ^R rename  ^D del  Esc close")
        #expect(Array(g.lines[1 ... 6]) == ["  notes/", "    ideas.md", "*   todo.txt", "  readme.md", "  src/", "    main.swift"])
        #expect(g.lines[7] == "")
        #expect(g.lines[21] == "Filter:")
        #expect(g.cursor.map { $0 == (8, 21) } == true, "the cursor waits at the filter")
        #expect(reversedRows(g, listRows: 0 ..< 22) == [3])
        #expect(g.rows[3][4].attributes.contains(.bold), "the current file is bold")
        #expect(g.lines[22].contains("[saved]"), "the status line stays")
        #expect(g.lines[23] == "Esc closes the file list  F1 help")
        #expect(!g.lines.contains("the text"))
    }

    @Test func theTitleIsLongerOnAWideScreen() {
        let g = openList().render(size: .init(width: 120, height: 30))
        #expect(g.lines[0] == "Files (4)  type to filter  ↑↓ select  Enter open  ^N new  ^R rename  ^D delete  Esc close")
        let narrow = openList().render(size: .init(width: 30, height: 10))
        #expect(narrow.lines[0] == "Files (4)  ⏎ open  ^N new", "whole hints only")
    }

    @Test func typingFiltersCaseInsensitivelyAndEnterOpens() {
        var e = openList()
        type("MAIN", &e)
        #expect(e.fileList?.visibleFiles.map(\.path) == ["src/main.swift"])
        #expect(e.fileList?.selected == "src/main.swift")
        let g = e.render()
        #expect(g.lines[0].hasPrefix("Files (1 of 4)"))
        #expect(Array(g.lines[1 ... 3]) == ["  src/", "    main.swift", ""], "only the match, with its folder")
        #expect(g.lines[21] == "Filter: MAIN")
        #expect(g.cursor.map { $0 == (12, 21) } == true)
        #expect(e.handle(.enter) == [.openFile("src/main.swift")])
        #expect(e.fileList == nil, "the list closed")
    }

    @Test func arrowsMoveAmongTheMatchingFilesOnly() {
        var e = openList()
        type("t", &e)  // notes/todo.txt, notes/ideas.md ("notes"), src/main.swift ("swift")
        #expect(e.fileList?.visibleFiles.map(\.path) == ["notes/ideas.md", "notes/todo.txt", "src/main.swift"])
        #expect(e.fileList?.selected == "notes/ideas.md", "typing selects the first match")
        _ = e.handle(.down); _ = e.handle(.down); _ = e.handle(.down)
        #expect(e.fileList?.selected == "src/main.swift", "stops at the last")
        _ = e.handle(.home)
        #expect(e.fileList?.selected == "notes/ideas.md")
        _ = e.handle(.up)
        #expect(e.fileList?.selected == "notes/ideas.md", "stops at the first")
        _ = e.handle(.end)
        #expect(e.handle(.backspace) == [])
        #expect(e.fileList?.visibleFiles.count == 4)
    }

    @Test func enterWithNoMatchCreatesTheFilterPathInASubfolder() {
        var e = openList()
        type("sub/new.txt", &e)
        #expect(e.fileList?.selected == nil)
        let g = e.render()
        #expect(g.lines[1] == "Enter: create sub/new.txt")
        #expect(e.handle(.enter) == [.createFile("sub/new.txt")])
        #expect(e.fileList == nil)
    }

    @Test func pastesEditTheFilterWithoutNewlines() {
        var e = openList()
        _ = e.handle(.paste("ide\nas"))
        #expect(e.fileList?.filterText == "ideas")
        #expect(e.fileList?.selected == "notes/ideas.md")
    }

    @Test func ctrlNCreatesTheFilterPathEvenWhenLongerNamesMatch() {
        var e = openList(["a.txt"], current: "a.txt")
        type("a", &e)
        #expect(e.fileList?.selected == "a.txt", "Enter would open a.txt")
        #expect(e.handle(.ctrl("n")) == [.createFile("a")])
        #expect(e.fileList == nil)
    }

    @Test func creatingAnExistingPathIsRefused() {
        var e = openList()
        type("readme.md", &e)
        #expect(e.handle(.ctrl("n")) == [.bell])
        #expect(e.message == "readme.md exists already: Enter opens it")
        #expect(e.fileList != nil)
    }

    @Test(arguments: [
        ("/etc/passwd", "/etc/passwd: give a path inside the shared folder, without a leading /"),
        ("a/../b", "a/../b: no . or .. in a path"),
        (".", ".: no . or .. in a path"),
        ("sub/./x", "sub/./x: no . or .. in a path"),
        (".env", ".env: names starting with . are hidden and not shared"),
        ("sub/.git/config", "sub/.git/config: names starting with . are hidden and not shared"),
        ("a//b", "a//b: a folder name is empty"),
        ("sub/", "sub/: a folder name is empty"),
    ])
    func badPathsAreRefusedWithAMessage(path: String, says: String) {
        var e = openList()
        _ = e.handle(.paste(path))
        #expect(e.handle(.ctrl("n")) == [.bell], "\(path)")
        #expect(e.message == says)
        #expect(e.fileList?.filterText == path, "the list stays open to fix it")
        if e.fileList?.selected == nil {
            #expect(e.handle(.enter) == [.bell], "Enter with no match: the same refusal")
        }
        #expect(e.render().lines[23] == says)
    }

    @Test func anEmptyFilterCreatesNothing() {
        var e = openList([], current: nil)
        #expect(e.render().lines[1] == "No files yet: type a path, then Enter creates it")
        #expect(e.handle(.enter) == [.bell])
        #expect(e.handle(.ctrl("n")) == [.bell])
        #expect(e.message == "Type the new file's path first (e.g. notes/todo.txt)")
        #expect(FileList.problem(with: "notes/todo.txt") == nil)
        #expect(FileList.problem(with: "日本/ファイル 1.txt") == nil)
    }

    @Test func ctrlROpensARenamePromptPrefilledWithThePath() {
        var e = openList()
        #expect(e.handle(.ctrl("r")) == [])
        #expect(e.fileList?.step == .renaming(from: "notes/todo.txt", to: Array("notes/todo.txt".unicodeScalars)))
        var g = e.render()
        #expect(g.lines[21] == "Rename to: notes/todo.txt")
        #expect(g.lines[0] == "Files (4)  Enter rename  Esc cancel")
        #expect(g.cursor.map { $0 == (25, 21) } == true)
        for _ in 0 ..< 3 { _ = e.handle(.backspace) }
        type("md", &e)
        #expect(e.handle(.enter) == [.renameFile(from: "notes/todo.txt", to: "notes/todo.md")])
        #expect(e.fileList?.step == .browsing, "the list stays open")
        // The session renames and reports the new list: the new path is selected.
        e.workspaceFiles = entries(["readme.md", "notes/todo.md", "notes/ideas.md", "src/main.swift"], current: "notes/todo.md")
        #expect(e.fileList?.selected == "notes/todo.md")
        g = e.render()
        #expect(g.lines[3] == "*   todo.md")
        #expect(reversedRows(g, listRows: 0 ..< 22) == [3])
    }

    @Test func escCancelsTheRenamePromptAndBadNamesKeepIt() {
        var e = openList()
        _ = e.handle(.ctrl("r"))
        type("/", &e)
        #expect(e.handle(.enter) == [.bell])
        #expect(e.message == "notes/todo.txt/: a folder name is empty")
        #expect(e.fileList?.step != .browsing, "still asking")
        _ = e.handle(.backspace)
        for _ in 0 ..< 8 { _ = e.handle(.backspace) }
        type("ideas.md", &e)
        #expect(e.handle(.enter) == [.bell], "notes/ideas.md exists")
        #expect(e.message == "notes/ideas.md exists already: not renamed")
        #expect(e.handle(.escape) == [])
        #expect(e.fileList?.step == .browsing)
        #expect(e.message == "Not renamed")
        #expect(e.fileList?.selected == "notes/todo.txt")
        #expect(e.fileList != nil, "Esc in the prompt only cancels the prompt")
    }

    @Test func deleteAsksAndYDeletes() {
        var e = openList()
        #expect(e.handle(.ctrl("d")) == [])
        let g = e.render()
        #expect(g.lines[21] == "Delete notes/todo.txt? (y/n)")
        #expect(g.rows[21][0].attributes.contains(.bold))
        #expect(e.handle(.char("y")) == [.deleteFile("notes/todo.txt")])
        #expect(e.fileList?.step == .browsing)
        // The session deletes it: the selection goes to the file now in its place.
        e.workspaceFiles = entries(["readme.md", "notes/ideas.md", "src/main.swift"], current: nil)
        #expect(e.fileList?.selected == "readme.md")
    }

    @Test func deleteAnsweredWithAnythingElseKeepsTheFile() {
        for answer in [Key.char("n"), .escape, .enter, .char("Y")] {
            var e = openList()
            _ = e.handle(.delete)
            let fx = e.handle(answer)
            if answer == .char("Y") {
                #expect(fx == [.deleteFile("notes/todo.txt")], "Y is yes too")
            } else {
                #expect(fx == [], "\(answer)")
                #expect(e.message == "Not deleted")
            }
            #expect(e.fileList?.step == .browsing)
            #expect(e.fileList != nil)
        }
    }

    @Test func escClearsTheFilterFirstThenCloses() {
        var e = openList()
        type("idea", &e)
        #expect(e.handle(.escape) == [])
        #expect(e.fileList?.filterText == "")
        #expect(e.fileList?.selected == "notes/ideas.md", "the selection stays on its file")
        #expect(e.handle(.escape) == [])
        #expect(e.fileList == nil)
        #expect(e.render().lines[0] == "the text")
        for key in [Key.ctrl("b"), .function(5)] {
            _ = e.handle(.function(5))
            type("x", &e)
            #expect(e.handle(key) == [])
            #expect(e.fileList == nil, "\(key) closes at once")
        }
    }

    @Test func resizeKeepsTheListAndTheSelectionInView() {
        let paths = (1 ... 60).map { "f\($0 < 10 ? "0" : "")\($0).txt" }
        var e = openList(paths, current: nil)
        _ = e.handle(.end)
        #expect(e.fileList?.selected == "f60.txt")
        _ = e.handle(.resize(width: 40, height: 10))
        #expect(e.fileList != nil)
        let g = e.render()
        #expect(g.lines[6] == "  f60.txt", "the last of rows 1...6")
        #expect(reversedRows(g, listRows: 0 ..< 8) == [6])
        _ = e.handle(.pageUp)
        #expect(e.fileList?.selected == "f55.txt", "a page is the tree's rows less one")
        _ = e.handle(.home)
        #expect(e.render().lines[1] == "  f01.txt")
    }

    @Test func peersAreShownBesideTheirFileInTheirColours() throws {
        var e = Editor(fileName: "notes/todo.txt", text: "")
        e.workspaceFiles = [
            FileListEntry(path: "notes/todo.txt", peers: [PeerBadge(name: "alice", colour: .cyan), PeerBadge(name: "bob", colour: .magenta)],
                          isCurrent: true),
            FileListEntry(path: "readme.md", peers: [PeerBadge(name: "carol", colour: .green)]),
        ]
        _ = e.handle(.function(5))
        let g = e.render(size: .init(width: 80, height: 24))
        #expect(g.lines[2] == "*   todo.txt  ● alice ● bob")
        #expect(g.lines[3] == "  readme.md  ● carol")
        let row = g.rows[2]
        let x = try #require(g.lines[2].unicodeScalars.firstIndex(of: "a")).utf16Offset(in: g.lines[2])
        #expect((x ..< x + 5).allSatisfy { row[$0].colour == Grid.Colour.cyan.rawValue }, "alice in cyan")
        #expect(row[x - 2].colour == Grid.Colour.cyan.rawValue, "her dot too")
        #expect((x + 8 ..< x + 11).allSatisfy { row[$0].colour == Grid.Colour.magenta.rawValue }, "bob in magenta")
        #expect((4 ..< 12).allSatisfy { row[$0].colour == 0 }, "the file name is not coloured")
        #expect(g.rows[3][13].colour == Grid.Colour.green.rawValue)
        // On a narrow screen, peers that do not fit are left off whole.
        let narrow = e.render(size: .init(width: 22, height: 8))
        #expect(narrow.lines[2] == "*   todo.txt  ● alice")
    }

    @Test func longAndWideNamesAreCutWithAnEllipsisInsideTheGrid() {
        let long = "sub/" + String(repeating: "日本", count: 30) + ".txt"
        var e = openList([long, "a.txt"], current: long)
        _ = e.handle(.resize(width: 20, height: 6))
        let g = e.render()
        #expect(g.lines[1] == "  sub/")
        #expect(g.lines[2].hasPrefix("*   日本日本日本"))
        #expect(g.lines[2].hasSuffix("…"))
        #expect(CharWidth.of(g.lines[2].unicodeScalars) <= 20)
        for row in g.rows { #expect(row.count == 20) }
        type(String(repeating: "x", count: 40), &e)
        let h = e.render()
        #expect(h.lines[3] == "Filter: …xxxxxxxxxx", "the end of a long filter, the cursor after it")
        #expect(h.cursor.map { $0 == (19, 3) } == true)
    }

    @Test func tinyScreensKeepTheFilterRowFirst() {
        var e = openList()
        type("to", &e)
        let one = e.render(size: .init(width: 1, height: 1))
        #expect(one.width == 1 && one.height == 1)
        #expect(one.cursor.map { $0 == (0, 0) } == true)
        for h in 2 ... 3 {
            #expect(e.render(size: .init(width: 30, height: h)).lines[0] == "Filter: to", "the list has one row")
        }
        let four = e.render(size: .init(width: 30, height: 4))
        #expect(Array(four.lines[0 ... 1]) == ["*   todo.txt", "Filter: to"], "no title, one row of files")
        let five = e.render(size: .init(width: 30, height: 5))
        #expect(Array(five.lines[0 ... 2]) == ["Files (1 of 4)  ⏎ open  ^N new", "*   todo.txt", "Filter: to"])
    }

    @Test func readOnlySessionsMayOpenButNotChangeFiles() {
        var e = openList()
        e.readOnly = "a read-only invitation"
        for key in [Key.ctrl("r"), .ctrl("d"), .delete] {
            #expect(e.handle(key) == [.bell], "\(key)")
            #expect(e.message == "Read-only: a read-only invitation. Nothing was changed")
            #expect(e.fileList?.step == .browsing)
        }
        type("new.txt", &e)
        #expect(e.handle(.enter) == [.bell])
        #expect(e.handle(.ctrl("n")) == [.bell])
        #expect(e.message?.hasPrefix("Read-only") == true)
        _ = e.handle(.escape)
        #expect(e.handle(.enter) == [.openFile("notes/todo.txt")])
    }

    @Test func theSessionMayUpdateTheListWhileItIsOpen() {
        var e = openList()
        _ = e.handle(.down)  // readme.md
        // Someone adds a file before it and another peer joins readme.md.
        var files = entries(["aaa.txt"] + Self.files)
        files[1].peers = [PeerBadge(name: "bob", colour: .yellow)]
        e.workspaceFiles = files
        #expect(e.fileList?.selected == "readme.md", "the selection stays on its path")
        #expect(e.render().lines.contains("  readme.md  ● bob"))
        // Asked about a file that then goes: the question is dropped.
        _ = e.handle(.ctrl("d"))
        e.workspaceFiles = entries(["aaa.txt", "notes/todo.txt"])
        #expect(e.fileList?.step == .browsing)
        #expect(e.message == "readme.md is gone")
        #expect(e.fileList?.selected == "notes/todo.txt", "the file now in its place (the last)")
        // Nil: not a workspace any more; the list closes.
        e.workspaceFiles = nil
        #expect(e.fileList == nil)
    }

    @Test func helpFromTheListComesBackToIt() {
        var e = openList()
        e.peersStatus = "online"
        _ = e.handle(.function(1))
        let lines = e.render().lines
        #expect(lines.contains { $0.contains(Help.fileListBinding.keys) && $0.contains(Help.fileListBinding.action) })
        #expect(Help.lines(peers: true, workspace: true).allSatisfy { $0.count <= 80 })  // it scrolls (HelpScrollTests)
        _ = e.handle(.char("q"))
        #expect(e.fileList?.filterText == "", "the key that leaves help is not typed")
        #expect(e.render().lines[0].hasPrefix("Files (4)"))
        var single = Editor(fileName: "a", text: "")
        _ = single.handle(.function(1))
        #expect(!single.render().lines.contains { $0.contains("F5") }, "the list's keys only where it exists")
    }
}

/// The peer list's "file" column, shown when peers report which file they
/// are in (a workspace).
@Suite struct PeerListFileColumnTests {
    func row(_ name: String, file: String?) -> PeerList.Row {
        .init(name: name, colour: .magenta, state: "connected", address: "127.0.0.1:5000", rttMilliseconds: 2,
              lastHeardSeconds: 1, opsSent: 3, opsReceived: 4, opsQueued: 0, file: file)
    }

    @Test func withoutFilesThereIsNoFileColumn() {
        let list = PeerList(title: "me", rows: [row("bob", file: nil)])
        for w in [80, 200] { #expect(list.lines(width: w).map(\.text) == list.lines.map(\.text)) }
        #expect(!list.lines[1].text.contains("file"))
        #expect(list.lines[2].text == "bob  connected  2.0 ms  1s ago      0       0      0  127.0.0.1:5000")
    }

    @Test func filesGetAColumnAfterTheState() {
        let list = PeerList(title: "me", rows: [row("bob", file: "notes/todo.txt"), row("carol", file: nil)])
        var e = Editor(fileName: "x", text: "")
        e.peerList = list
        let g = e.render(size: .init(width: 120, height: 10))
        #expect(g.lines[1].hasPrefix("name  state     file               rtt   heard"))
        #expect(g.lines[2].hasPrefix("bob   connected notes/todo.txt  2.0 ms  1s ago"))
        #expect(g.lines[3].hasPrefix("carol connected —               2.0 ms  1s ago"))
        #expect(g.rows[2][0].colour == Grid.Colour.magenta.rawValue)
        // At 80 columns the file column narrows to keep the address whole: a long path keeps its end.
        let narrow = e.render(size: .init(width: 80, height: 10))
        #expect(narrow.lines[2] == "bob   connected …/todo.txt  2.0 ms  1s ago      0       0      0  127.0.0.1:5000", "\(narrow.lines[2])")
        #expect(narrow.rows.allSatisfy { $0.count == 80 })
    }
}
