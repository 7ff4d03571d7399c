import WeaveEditor

/// Turns the terminal's mouse reports into `Key`s: presses, drags (motion
/// with the button held), the wheel, and double and triple clicks, which
/// terminals do not report as such: a press within `interval` of the last
/// one, on the same cell, counts up (1, 2, 3, then 1 again). Pure apart from
/// the clock it is given, so tests feed it times.
struct MouseClicks {
    /// How close in time two presses must be to count as one double click.
    static let interval = Duration.milliseconds(400)
    var lastPress: (x: Int, y: Int, at: ContinuousClock.Instant)?
    var count = 0
    /// Whether the button is down (motion reports without it are not drags).
    var down = false

    /// The key for one report: `kind` as `weave_mouse_kind` says (1 down,
    /// 2 up, 3 motion, 4 wheel up, 5 wheel down), or nil for nothing to do.
    mutating func key(kind: Int32, shift: Bool, x: Int, y: Int, now: ContinuousClock.Instant) -> Key? {
        switch kind {
        case 1:
            if let last = lastPress, last.x == x, last.y == y, now - last.at < Self.interval, count < 3 {
                count += 1
            } else {
                count = 1
            }
            lastPress = (x, y, now)
            down = true
            if shift { return .shift(.click(x: x, y: y)) }
            return count == 2 ? .doubleClick(x: x, y: y) : count == 3 ? .tripleClick(x: x, y: y) : .click(x: x, y: y)
        case 2:
            down = false
            return nil
        case 3:
            return down ? .drag(x: x, y: y) : nil
        case 4: return .wheel(-3)
        case 5: return .wheel(3)
        default: return nil
        }
    }
}
