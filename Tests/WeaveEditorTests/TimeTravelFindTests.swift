import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveEditor

/// Find in the time-travel pane's text (issue 33): Ctrl-F asks, Enter finds
/// in the text shown at the pane's version, F3 / Shift-F3 go on and back,
/// wrapping with a message; Alt-R makes it a regex; moving to another
/// version drops the highlight.
struct TimeTravelFindTests {
    func paneEditor() throws -> Editor {
        var e = Editor(fileName: "f.txt", text: "unrelated live text\n")
        _ = e.handle(.resize(width: 80, height: 30))
        e.openTimeTravel(try twoAuthorTimeline())  // shows "The black cat sat\nIt purred.\n"
        return e
    }

    func find(_ e: inout Editor, _ query: String, regex: Bool = false) {
        _ = e.handle(.ctrl("f"))
        if regex { _ = e.handle(.alt("r")) }
        for u in query.unicodeScalars { _ = e.handle(.char(u)) }
        _ = e.handle(.enter)
    }

    /// The highlighted cells of the pane's text, as a string.
    func highlighted(_ e: Editor) -> String {
        let g = e.render()
        var out = ""
        for y in e.paneTop + 3 ..< g.height - 1 {
            for c in g.rows[y] where c.colour == Grid.Colour.yellow.rawValue && c.attributes.contains(.reverse) { out += c.text }
        }
        return out
    }

    @Test func findsInTheShownVersionNotTheLiveText() throws {
        var e = try paneEditor()
        find(&e, "purr")
        #expect(e.mode == .edit && e.pane != nil)
        #expect(e.pane?.view.highlight != nil)
        #expect(highlighted(e) == "purr")
        #expect(e.message == nil)
        find(&e, "unrelated")
        #expect(e.pane?.view.highlight == nil)
        #expect(e.message?.contains("not found in the version after edit 4") == true, "\(e.message ?? "")")
        #expect(e.doc.cursor == 0, "the live document's cursor does not move")
    }

    @Test func nextAndPreviousWrapAndSaySo() throws {
        var e = try paneEditor()
        find(&e, "t")  // smart case: t and T
        let first = try #require(e.pane?.view.highlight)
        #expect(first.lowerBound == 0, "The")
        var starts = [first.lowerBound]
        for _ in 0 ..< 6 {
            _ = e.handle(.function(3))
            starts.append(e.pane!.view.highlight!.lowerBound)
            if e.message == "Search wrapped" { break }
        }
        let shown = String(String.UnicodeScalarView(e.pane!.view.shownScalars))
        let expected = shown.unicodeScalars.indices.filter { "tT".unicodeScalars.contains(shown.unicodeScalars[$0]) }
            .map { shown.unicodeScalars.distance(from: shown.unicodeScalars.startIndex, to: $0) }
        #expect(Array(starts.dropLast()) == expected, "every t in order, then wrapped to the first: \(starts) vs \(expected)")
        #expect(starts.last == expected.first)
        #expect(e.message == "Search wrapped")
        _ = e.handle(.function(15))  // Shift-F3: back from the first wraps to the last
        #expect(e.pane?.view.highlight?.lowerBound == expected.last)
        #expect(e.message == "Search wrapped")
    }

    @Test func aRegexAndABadOne() throws {
        var e = try paneEditor()
        find(&e, "c[a-z]t", regex: true)
        #expect(highlighted(e) == "cat")
        _ = e.handle(.ctrl("f"))
        for u in "(".unicodeScalars { _ = e.handle(.char(u)) }
        _ = e.handle(.enter)
        guard case .prompt(let p) = e.mode else { Issue.record("the prompt stays open"); return }
        #expect(p.note?.hasPrefix("Bad pattern") == true)
        _ = e.handle(.escape)
        #expect(e.mode == .edit && e.pane != nil)
    }

    @Test func steppingToAnotherVersionDropsTheHighlight() throws {
        var e = try paneEditor()
        find(&e, "black")
        #expect(highlighted(e) == "black")
        _ = e.handle(.left)
        #expect(e.pane?.view.highlight == nil)
        #expect(highlighted(e) == "")
    }
}
