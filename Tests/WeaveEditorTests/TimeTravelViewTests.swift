import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveEditor

/// A small two-author history: ann writes two lines, bob (concurrently) adds a word.
func twoAuthorTimeline() throws -> Timeline {
    let ann = ReplicaID(1), bob = ReplicaID(2)
    var a = RGA(replica: ann), b = RGA(replica: bob)
    var h = History(authors: [ann: Author(replica: ann, name: "ann", colour: 0), bob: Author(replica: bob, name: "bob", colour: 1)])
    func local(_ op: Operation?, _ t: Int64) { h.edits.append(Edit(time: t, ops: [op!])) }
    local(a.insert("The cat sat.\n", at: 0), 1_000)
    try b.receive(contentsOf: a.operations(since: b.version))
    local(a.insert("It purred.\n", at: 13), 2_000)
    let fromBob = b.insert("black ", at: 4)!
    local(a.delete(at: 11, length: 1), 2_500)
    try a.receive(fromBob)
    h.edits.append(Edit(time: 3_000, ops: [fromBob]))
    return Timeline(doc: a, history: h)
}

struct TimeTravelViewTests {
    func render(_ v: TimeTravelView) -> Grid {
        var g = Grid(width: 100, height: 30)
        v.render(into: &g, top: 0, height: 30)
        return g
    }

    @Test func goldenPaneAtTheLatestEdit() throws {
        let v = TimeTravelView(timeline: try twoAuthorTimeline())
        let g = render(v)
        #expect(Array(g.lines.prefix(6)) == [
            " Time travel  4/4  bob  ⑂ concurrent",
            String(repeating: "━", count: 99) + "●",
            String(repeating: "█", count: 75) + String(repeating: "▓", count: 25),
            "The black cat sat",
            "It purred.",
            "",
        ])
        #expect(g.lines[29].hasPrefix("←→ step"))
        // The step's insertion ("black ") is highlighted in green, reversed.
        #expect(g.rows[3][4].attributes.contains(.reverse))
        #expect(g.rows[3][4].colour == Grid.Colour.green.rawValue)
        #expect(g.rows[3][0].attributes.isEmpty)
        // The strip shows bob's colour where bob wrote (the last quarter), concurrent.
        #expect(g.rows[2][99].colour == Grid.Colour.author(1).rawValue)
        #expect(g.rows[2][99].text == "▓")
        #expect(g.rows[2][0].colour == Grid.Colour.author(0).rawValue)
    }

    @Test func goldenPaneStepsBackShowingADeletionInRed() throws {
        var v = TimeTravelView(timeline: try twoAuthorTimeline())
        v.scrubber.apply(.back)
        let g = render(v)
        #expect(g.lines[0] == " Time travel  3/4  ann")
        #expect(g.lines[3] == "The cat sat.")  // the deleted "." still shown…
        #expect(g.rows[3][11].colour == Grid.Colour.red.rawValue)  // …in red
        #expect(g.rows[3][11].attributes.contains(.underline))
    }

    @Test func blameColoursEveryCharacterByAuthor() throws {
        var v = TimeTravelView(timeline: try twoAuthorTimeline())
        v.blame = true
        v.scrubber.apply(.back); v.scrubber.apply(.forward)
        v.scrubber.apply(.toggleMark)   // mark at the end: no diff while the position equals it
        let g = render(v)
        #expect(g.lines[0].hasSuffix("diff from 4  blame: ann bob"))
        #expect(g.rows[3][0].colour == Grid.Colour.author(0).rawValue)  // ann's "The"
        #expect(g.rows[3][4].colour == Grid.Colour.green.rawValue)      // bob's step, highlighted
    }

    @Test func aMarkShowsTheDiffBetweenTwoPoints() throws {
        var v = TimeTravelView(timeline: try twoAuthorTimeline())
        v.scrubber.apply(.start)
        v.scrubber.apply(.forward)
        v.scrubber.apply(.toggleMark)
        v.scrubber.apply(.end)
        let g = render(v)
        #expect(g.lines[3] == "The black cat sat.")
        #expect(g.rows[3][4].colour == Grid.Colour.green.rawValue)   // inserted since the mark
        #expect(g.rows[3][17].colour == Grid.Colour.red.rawValue)    // "." deleted since the mark
        #expect(g.lines[4] == "It purred.")
        #expect(g.rows[4][0].colour == Grid.Colour.green.rawValue)
    }
}
