import Testing
import WeaveCore
@testable import WeaveEditor

/// The peer list's keys, selection and following as a value (issue 31): every
/// law of `PeerListNavigation`, without a session or a hub.
@Suite struct PeerListNavigationTests {
    static let ann = ReplicaID(0xA), ben = ReplicaID(0xB)

    static func row(_ name: String, _ replica: ReplicaID?) -> PeerList.Row {
        .init(name: name, colour: .cyan, state: "connected", address: "127.0.0.1:7070", rttMilliseconds: nil,
              lastHeardSeconds: nil, opsSent: 0, opsReceived: 0, opsQueued: 0, replica: replica)
    }

    /// ann (with a cursor), ben (without), and a link not yet open.
    static let rows = [row("ann", ann), row("ben", ben), row("(127.0.0.1:7070)", nil)]
    static func cursor(_ r: ReplicaID) -> Bool { r == ann }

    static func open() -> PeerListNavigation {
        var n = PeerListNavigation()
        n.open()
        return n
    }

    @Test func aHiddenListTakesNoKey() {
        var n = PeerListNavigation()
        #expect(n.key(.down, rows: Self.rows, hasCursor: Self.cursor) == nil)
        #expect(n.key(.enter, rows: Self.rows, hasCursor: Self.cursor) == nil)
        #expect(n.selection == 0 && !n.shown)
    }

    @Test func upAndDownWrapAroundTheRows() {
        var n = Self.open()
        #expect(n.key(.up, rows: Self.rows, hasCursor: Self.cursor) == .select(2))
        #expect(n.key(.down, rows: Self.rows, hasCursor: Self.cursor) == .select(0))
        #expect(n.key(.down, rows: Self.rows, hasCursor: Self.cursor) == .select(1))
        #expect(n.shown)
        #expect(n.key(.down, rows: [], hasCursor: Self.cursor) == .select(1), "no rows: the selection stays")
    }

    @Test func enterGoesToAPeerWithACursorAndCloses() {
        var n = Self.open()
        #expect(n.key(.enter, rows: Self.rows, hasCursor: Self.cursor) == .goTo(Self.ann))
        #expect(!n.shown && n.following == nil)
    }

    @Test func fFollowsAPeerWithACursorAndCloses() {
        var n = Self.open()
        #expect(n.key(.char("f"), rows: Self.rows, hasCursor: Self.cursor) == .follow(Self.ann))
        #expect(!n.shown && n.following == Self.ann)
    }

    @Test func aRowWithoutACursorKeepsTheListOpen() {
        for target in [1, 2] {  // ben has no cursor here; the link has no replica
            for key: Key in [.enter, .char("f")] {
                var n = Self.open()
                for _ in 0 ..< target { _ = n.key(.down, rows: Self.rows, hasCursor: Self.cursor) }
                #expect(n.key(key, rows: Self.rows, hasCursor: Self.cursor) == .noCursor)
                #expect(n.shown && n.following == nil)
            }
        }
        var empty = Self.open()
        #expect(empty.key(.enter, rows: [], hasCursor: Self.cursor) == .noCursor)
    }

    @Test func ctrlCCopiesAndAResizeIsNotTaken() {
        var n = Self.open()
        #expect(n.key(.ctrl("c"), rows: Self.rows, hasCursor: Self.cursor) == .copyJoinCommand)
        #expect(n.key(.resize(width: 80, height: 24), rows: Self.rows, hasCursor: Self.cursor) == nil)
        #expect(n.shown)
    }

    @Test func anyOtherKeyCloses() {
        for key: Key in [.escape, .char("x"), .function(4), .ctrl("p")] {
            var n = Self.open()
            #expect(n.key(key, rows: Self.rows, hasCursor: Self.cursor) == .close, "\(key)")
            #expect(!n.shown)
        }
    }

    @Test func theSelectionStaysWhenTheListIsOpenedAgainAndIsClampedToTheRows() {
        var n = Self.open()
        _ = n.key(.up, rows: Self.rows, hasCursor: Self.cursor)
        _ = n.key(.escape, rows: Self.rows, hasCursor: Self.cursor)
        n.open()
        #expect(n.selection == 2)
        #expect(n.clamp(rowCount: 2) == 1)
        #expect(n.clamp(rowCount: 0) == 1, "no rows: unchanged")
    }

    @Test func anyKeyButAResizeEndsFollowing() {
        var n = Self.open()
        _ = n.key(.char("f"), rows: Self.rows, hasCursor: Self.cursor)
        #expect(n.keyEndsFollowing(.resize(width: 80, height: 24)) == nil)
        #expect(n.following == Self.ann)
        #expect(n.keyEndsFollowing(.char("a")) == Self.ann)
        #expect(n.following == nil)
        #expect(n.keyEndsFollowing(.char("a")) == nil)
    }

    @Test func followingStopsWhenThePeerLeaves() {
        var n = Self.open()
        _ = n.key(.char("f"), rows: Self.rows, hasCursor: Self.cursor)
        n.stopFollowing()
        #expect(n.following == nil)
    }
}
