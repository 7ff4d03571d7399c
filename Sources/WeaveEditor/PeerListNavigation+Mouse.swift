import WeaveCore

/// The mouse in the peer list (issue 33), as `PeerListNavigation` laws:
///
/// - the wheel scrolls the rows when there are more than fit, the selection
///   coming along when it would leave the screen (as the text's cursor does);
/// - a click on a row selects it; a click on the selected row, or a double
///   click on a row, does what Enter does there (go to that peer's cursor,
///   closing the list; a row whose peer has no cursor keeps it open);
/// - a click elsewhere, a drag, a triple click or Shift+click does nothing
///   and keeps the list open (the text under it never sees them);
/// - after a click closed the list, the double and triple click the same
///   clicks go on to make at that place are swallowed (`swallows`), and any
///   other key ends that.
///
/// Every call is O(1).
extension PeerListNavigation {
    /// A mouse event while the list is shown, on the list as drawn
    /// (`screen`: which row is on which line); nil when the list is not
    /// shown or `key` is not a mouse event.
    public mutating func mouse(_ key: Key, on screen: PeerList.Screen, rows: [PeerList.Row],
                               hasCursor: (ReplicaID) -> Bool) -> Action? {
        guard shown, key.isMouse else { return nil }
        switch key {
        case .wheel(let notches):
            let last = max(0, rows.count - screen.rowsShown)
            top = min(max(0, screen.top + notches), last)
            if !rows.isEmpty {
                selection = min(max(selection, top), min(rows.count, top + max(1, screen.rowsShown)) - 1)
            }
            return .select(selection)
        case .click(let x, let y), .doubleClick(let x, let y):
            guard let row = screen.row(atY: y), row < rows.count else { return .select(selection) }
            let double: Bool
            if case .doubleClick = key { double = true } else { double = false }
            if row != selection && !double {
                selection = row
                return .select(row)
            }
            selection = row
            let action = choose(follow: false, rows: rows, hasCursor: hasCursor)
            if case .goTo = action { closedByClickAt = ClickPlace(x: x, y: y) }
            return action
        default:
            return .select(selection)
        }
    }

    /// Whether `key` is the double or triple click that the click which
    /// closed the list goes on to make (at the same place): it is swallowed.
    /// Any other key ends the swallowing.
    public mutating func swallows(_ key: Key) -> Bool {
        guard let at = closedByClickAt else { return false }
        switch key {
        case .doubleClick(let x, let y), .tripleClick(let x, let y):
            if ClickPlace(x: x, y: y) == at { return true }
        default:
            break
        }
        closedByClickAt = nil
        return false
    }
}
