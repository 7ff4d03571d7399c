import Testing
import WeaveCore
@testable import WeaveEditor

/// The status line shortens by importance: badges, then the history status,
/// then the file name go; the link state and Ln/Col stay.
@Suite struct StatusLineTests {
    func statusLine(_ e: Editor) -> String {
        let g = e.render()
        return g.rows[e.size.height - 2].map(\.text).joined()
    }

    func editor(width: Int, height: Int, name: String) -> Editor {
        var e = Editor(fileName: name, text: "one\ntwo\n")
        _ = e.handle(.resize(width: width, height: height))
        _ = e.handle(.down)
        e.historyStatus = "history saved"
        e.peersStatus = "offline — 12 edits queued"
        e.peerBadges = [PeerBadge(name: "● alice", colour: .author(1)), PeerBadge(name: "● bob", colour: .author(2))]
        return e
    }

    @Test(arguments: [(80, 24), (60, 20), (44, 12)])
    func theLinkStateAndPositionAlwaysStay(width: Int, height: Int) {
        for name in ["notes.txt", "a-rather-long-file-name-for-a-status-line.txt"] {
            let e = editor(width: width, height: height, name: name)
            let line = statusLine(e)
            #expect(CharWidth.of(line.unicodeScalars) <= width, "\(width): \(line)")
            #expect(line.contains("offline — 12 edits queued"), "\(width) \(name): \(line)")
            #expect(line.contains(width >= 60 ? "Ln 2, Col 1" : " 2:1"), "\(width) \(name): \(line)")
            #expect(line.contains("[saved]"), "\(width) \(name): \(line)")
        }
    }

    @Test func wideTerminalsShowEverything() {
        let e = editor(width: 120, height: 30, name: "notes.txt")
        let line = statusLine(e)
        for part in ["notes.txt", "[saved]", "history saved", "● alice", "● bob", "offline — 12 edits queued", "Ln 2, Col 1"] {
            #expect(line.contains(part), "\(part): \(line)")
        }
        // Badges keep their colours where they are drawn.
        let row = e.render().rows[e.size.height - 2]
        let x = Array(line.unicodeScalars).firstIndex(of: "●")!
        #expect(row[x].colour == Grid.Colour.author(1).rawValue)
    }

    @Test func atEightyColumnsTheNameIsShortenedNotTheState() {
        let e = editor(width: 80, height: 24, name: "a-rather-long-file-name-for-a-status-line.txt")
        let line = statusLine(e)
        #expect(line.hasPrefix(" …"), "\(line)")
        #expect(line.contains("line.txt  [saved]"), "\(line)")
    }
}

/// Counts on the message line read as a person writes them.
@Suite struct MessageWordingTests {
    @Test(arguments: [("a\nb\nc\n", "3 lines"), ("a\nb\nc", "3 lines"), ("one", "1 line"), ("", "0 lines"), ("\n", "1 line")])
    func savedSaysHowManyLines(text: String, words: String) {
        var e = Editor(fileName: "new.txt", text: text)
        e.didSave(error: nil)
        #expect(e.message == "Saved new.txt (\(words))")
    }
}
