import Testing
import WeaveCore
@testable import WeaveEditor

/// The mouse in the peer list (issue 33), as `PeerListNavigation` laws on the
/// list as drawn: the wheel scrolls, a click selects, a click on the selected
/// row or a double click goes to that peer as Enter does.
@Suite struct PeerListMouseTests {
    static let ann = PeerListNavigationTests.ann, ben = PeerListNavigationTests.ben

    static func row(_ name: String, _ replica: ReplicaID?) -> PeerList.Row { PeerListNavigationTests.row(name, replica) }

    /// ann (with a cursor), ben (without), a link not yet open, then peers with cursors.
    static let rows = [row("ann", ann), row("ben", ben), row("(127.0.0.1:7070)", nil)]
        + (3 ..< 12).map { row("peer\($0)", ReplicaID(UInt64($0 + 0x100))) }
    static func cursor(_ r: ReplicaID) -> Bool { r != ben }

    static func open() -> PeerListNavigation {
        var n = PeerListNavigation()
        n.open()
        return n
    }

    /// The list as drawn for `n` in `height` text rows.
    static func screen(_ n: PeerListNavigation, height: Int = 30) -> PeerList.Screen {
        var list = PeerList(title: "me (online)", rows: rows, selected: n.selection)
        list.top = n.top
        return list.screen(width: 80, height: height)
    }

    static func mouse(_ n: inout PeerListNavigation, _ key: Key, height: Int = 30) -> PeerListNavigation.Action? {
        let action = n.mouse(key, on: screen(n, height: height), rows: rows, hasCursor: cursor)
        n.scrolled(to: screen(n, height: height).top)  // as the session does after drawing
        return action
    }

    @Test func aClickSelectsARowAndAClickOnTheSelectedRowGoesThere() {
        var n = Self.open()
        #expect(Self.mouse(&n, .click(x: 3, y: 2 + 3)) == .select(3), "the fourth row: screen line 5")
        #expect(n.shown && n.selection == 3)
        #expect(Self.mouse(&n, .click(x: 20, y: 5)) == .goTo(ReplicaID(0x103)))
        #expect(!n.shown, "going to a peer closes the list, as Enter does")
    }

    @Test func aDoubleClickGoesToThePeerAndTheClicksItMakesNextAreSwallowed() {
        var n = Self.open()
        #expect(Self.mouse(&n, .doubleClick(x: 3, y: 2)) == .goTo(Self.ann))
        #expect(!n.shown)
        let triple = n.swallows(.tripleClick(x: 3, y: 2))
        #expect(triple, "the triple click the same clicks make is not for the text")
        let letter = n.swallows(.char("a")), later = n.swallows(.doubleClick(x: 3, y: 2))
        #expect(!letter)
        #expect(!later, "any other key ended the swallowing")
        var m = Self.open()
        _ = Self.mouse(&m, .click(x: 1, y: 2))
        #expect(!m.shown)
        let elsewhere = m.swallows(.doubleClick(x: 9, y: 9))
        #expect(!elsewhere, "not at the same place")
    }

    @Test func aClickOnARowWithoutACursorKeepsTheListOpen() {
        var n = Self.open()
        #expect(Self.mouse(&n, .click(x: 0, y: 3)) == .select(1))
        #expect(Self.mouse(&n, .click(x: 0, y: 3)) == .noCursor)
        #expect(Self.mouse(&n, .doubleClick(x: 0, y: 4)) == .noCursor, "the link not yet open")
        #expect(n.shown && n.selection == 2)
    }

    @Test func aClickOffTheRowsADragOrATripleClickChangesNothing() {
        var n = Self.open()
        _ = Self.mouse(&n, .click(x: 0, y: 4))
        for key: Key in [.click(x: 0, y: 0), .click(x: 0, y: 1), .click(x: 0, y: 2 + Self.rows.count), .drag(x: 0, y: 2),
                         .tripleClick(x: 0, y: 2), .shift(.click(x: 0, y: 2))] {
            #expect(Self.mouse(&n, key) == .select(2), "\(key)")
            #expect(n.shown && n.selection == 2, "\(key)")
        }
    }

    @Test func aHiddenListOrAKeyIsNotTheMouses() {
        var hidden = PeerListNavigation()
        #expect(Self.mouse(&hidden, .click(x: 0, y: 2)) == nil)
        var n = Self.open()
        let enter = n.mouse(.enter, on: Self.screen(n), rows: Self.rows, hasCursor: Self.cursor)
        #expect(enter == nil)
    }

    /// 12 rows in 7 text rows: 5 on screen. The wheel scrolls them, the
    /// selection coming along at the edge; it stops at either end.
    @Test func theWheelScrollsTheRowsWhenTheyDoNotFit() {
        var n = Self.open()
        #expect(Self.screen(n, height: 7).rowsShown == 5)
        #expect(Self.mouse(&n, .wheel(3), height: 7) == .select(3))
        #expect(n.top == 3, "scrolled three rows; the selection came along")
        #expect(Self.screen(n, height: 7).lines[2].text.hasPrefix("peer3"))
        #expect(Self.mouse(&n, .click(x: 0, y: 6), height: 7) == .select(7), "a click picks the row shown there")
        #expect(Self.mouse(&n, .wheel(30), height: 7) == .select(7))
        #expect(n.top == 7, "the last five rows; the selection stayed on screen")
        #expect(Self.mouse(&n, .wheel(-30), height: 7) == .select(4))
        #expect(n.top == 0)
        // All rows fit: the wheel does not scroll.
        var wide = Self.open()
        #expect(Self.mouse(&wide, .wheel(3)) == .select(0))
        #expect(wide.top == 0)
    }
}
