import WeaveCore

/// What the peer list (F4/Ctrl-P in a shared session) does with keys, as a
/// value: whether it is shown, its selected row, and whose cursor the view
/// follows. Pure: the session feeds it keys and the rows on screen, and performs
/// the returned `Action` (moving the cursor, copying the join command, the
/// messages). Every call is O(1).
///
/// Laws: ↑/↓ move the selection around the rows (wrapping) and keep the list
/// open; Enter and f on a row whose peer has a cursor close the list (f starts
/// following); on a row without one they keep it open; Ctrl-C keeps it open;
/// a resize does nothing; any other key closes it. While following, any key
/// but a resize ends following. The mouse (PeerListNavigation+Mouse.swift):
/// the wheel scrolls, a click selects, a click on the selected row or a
/// double click does what Enter does.
public struct PeerListNavigation: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        /// The selection moved to this row.
        case select(Int)
        /// Ctrl-C: copy the join command.
        case copyJoinCommand
        /// Enter: go to that peer's cursor (the list closed).
        case goTo(ReplicaID)
        /// f: follow that peer's cursor (the list closed).
        case follow(ReplicaID)
        /// Enter or f on a row whose peer has no cursor here (the list stays).
        case noCursor
        /// Another key: the list closed.
        case close
    }

    public internal(set) var shown = false
    /// The selected row (drawn in reverse video).
    public internal(set) var selection = 0
    /// The first row on screen when not all fit (the wheel moves it; the
    /// drawing moves it to keep the selection on screen: `scrolled(to:)`).
    public internal(set) var top = 0
    /// Whose cursor the view tracks until the next key.
    public private(set) var following: ReplicaID?
    /// Where a click closed the list (going to a peer): the double and
    /// triple click that the same clicks go on to make are swallowed there,
    /// not handed to the text under the list.
    var closedByClickAt: ClickPlace?
    struct ClickPlace: Equatable, Sendable { var x: Int, y: Int }

    public init() {}

    /// F4 or Ctrl-P: shows the list (the selection stays where it was).
    public mutating func open() { shown = true }

    /// A key while the list is shown; nil when the list does not take it
    /// (not shown, or a resize). `hasCursor` says whether a peer's cursor is known here.
    public mutating func key(_ key: Key, rows: [PeerList.Row], hasCursor: (ReplicaID) -> Bool) -> Action? {
        guard shown else { return nil }
        switch key {
        case .resize:
            return nil
        case .up, .down:
            if !rows.isEmpty { selection = (selection + (key == .up ? rows.count - 1 : 1)) % rows.count }
            return .select(selection)
        case .ctrl("c"):
            return .copyJoinCommand
        case .enter, .char("f"):
            return choose(follow: key == .char("f"), rows: rows, hasCursor: hasCursor)
        default:
            shown = false
            return .close
        }
    }

    /// Enter (or f: `follow`) on the selected row.
    mutating func choose(follow: Bool, rows: [PeerList.Row], hasCursor: (ReplicaID) -> Bool) -> Action {
        guard selection < rows.count, let r = rows[selection].replica, hasCursor(r) else { return .noCursor }
        shown = false
        if follow {
            following = r
            return .follow(r)
        }
        return .goTo(r)
    }

    /// Any key but a resize ends following: whom it was, or nil when not following.
    public mutating func keyEndsFollowing(_ key: Key) -> ReplicaID? {
        if case .resize = key { return nil }
        defer { following = nil }
        return following
    }

    /// The followed peer left.
    public mutating func stopFollowing() { following = nil }

    /// The rows changed: the selection stays on a row (unchanged when there are none). Returns it.
    @discardableResult
    public mutating func clamp(rowCount: Int) -> Int {
        if rowCount > 0 { selection = min(selection, rowCount - 1) }
        return selection
    }

    /// The drawing showed the rows from `top` (`PeerList.Screen.top`: it
    /// keeps the selection on screen); the next wheel notch scrolls from there.
    public mutating func scrolled(to top: Int) { self.top = max(0, top) }
}
