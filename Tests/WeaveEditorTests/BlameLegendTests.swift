import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveEditor

/// Blame names its colours, and they are the peers' (issue 33's polish): the
/// pane's title lists each author in the colour blame draws them in, and an
/// author who is a peer on screen is drawn in the peer's colour, not the one
/// the history recorded.
struct BlameLegendTests {
    @Test func theTitleListsEachAuthorInTheirColour() throws {
        var v = TimeTravelView(timeline: try twoAuthorTimeline())
        v.blame = true
        var g = Grid(width: 100, height: 30)
        v.render(into: &g, top: 0, height: 30)
        let title = g.lines[0]
        #expect(title.hasSuffix("blame: ann bob"), "\(title)")
        let annAt = title.unicodeScalars.count - "ann bob".count
        #expect(g.rows[0][annAt].colour == Grid.Colour.author(0).rawValue)
        #expect(g.rows[0][annAt + 4].colour == Grid.Colour.author(1).rawValue)
    }

    @Test func aPeerOnScreenKeepsItsColourInBlame() throws {
        let timeline = try twoAuthorTimeline()
        var e = Editor(fileName: "f.txt", text: "The black cat sat\nIt purred.\n")
        _ = e.handle(.resize(width: 80, height: 30))
        e.openTimeTravel(timeline)
        _ = e.handle(.char("b"))
        // bob is connected, drawn red here (the history says author colour 1).
        e.remoteCursors = [RemoteCursor(name: "bob", colour: .red, after: nil, replica: ReplicaID(2))]
        let g = e.render()
        let top = e.paneTop
        let title = g.lines[top]
        let bobAt = title.unicodeScalars.count - "bob".count
        #expect(g.rows[top][bobAt].colour == Grid.Colour.red.rawValue, "\(title)")
        // The activity strip's last quarter is bob's: red too.
        #expect(g.rows[top + 2][79].colour == Grid.Colour.red.rawValue)
        #expect(g.rows[top + 2][0].colour == Grid.Colour.author(0).rawValue, "ann keeps her recorded colour")
    }
}
