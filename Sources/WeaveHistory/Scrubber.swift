/// The time-travel pane's controls, without any screen: where in the timeline
/// the pane is, whether it plays and how fast, the mark a diff starts from, and
/// a number being typed to jump to.
///
/// Keys map to `Command`s (the editor does the mapping); `apply` moves the
/// position; while playing, the caller asks `delay(until:)` how long to wait and
/// calls `step()` when it has waited. All positions stay in `0 ... edits`.
public struct Scrubber: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        case back, forward                 // ← → : one edit
        case pageBack, pageForward         // PgUp PgDn : one percent
        case start, end                    // Home End
        case previousBurst, nextBurst      // [ ]
        case digit(Int)                    // typing a number…
        case jump                          // …and Enter jumps there (when a number was typed)
        case playPause                     // Space
        case faster, slower                // + -
        case togglePace                    // uniform speed or the recorded pace
        case toggleMark                    // set (or clear) the diff mark here
    }

    /// Edits applied: the text shown is the text after this many edits.
    public private(set) var position: Int
    public private(set) var edits: Int
    public private(set) var playing = false
    /// Steps per second at uniform speed; with the recorded pace, a multiplier of real time.
    public private(set) var speed: Double = 20
    public private(set) var recordedPace = false
    public private(set) var mark: Int?
    /// Digits typed so far, shown in the pane.
    public private(set) var typedNumber = ""

    public static let speeds: ClosedRange<Double> = 0.25 ... 960
    /// Longest wait between two steps at the recorded pace, in seconds (before speed).
    public static let longestPause = 1.5

    public init(edits: Int, position: Int? = nil) {
        self.edits = edits
        self.position = min(max(0, position ?? edits), edits)
    }

    /// The timeline grew (live edits arrive): keep the position, extend the end.
    public mutating func update(edits: Int) {
        self.edits = edits
        position = min(position, edits)
        if let m = mark, m > edits { mark = nil }
    }

    /// Applies a command. Returns whether the position changed.
    @discardableResult
    public mutating func apply(_ c: Command, bursts: [Range<Int>] = []) -> Bool {
        let before = position
        if case .digit = c {} else if c != .jump { typedNumber = "" }
        switch c {
        case .back: move(to: position - 1)
        case .forward: move(to: position + 1)
        case .pageBack: move(to: position - max(1, edits / 100))
        case .pageForward: move(to: position + max(1, edits / 100))
        case .start: move(to: 0)
        case .end: move(to: edits)
        case .previousBurst:
            // The start of the burst before the one the position is in (or its own start).
            let starts = bursts.map(\.lowerBound).filter { $0 < position }
            move(to: starts.last ?? 0)
        case .nextBurst:
            move(to: bursts.map(\.upperBound).first { $0 > position } ?? edits)
        case .digit(let d):
            if typedNumber.count < 12 { typedNumber += String(d) }
        case .jump:
            if let n = Int(typedNumber) { move(to: n) }
            typedNumber = ""
        case .playPause:
            if !playing && position == edits { position = 0 }  // play again from the start
            playing.toggle()
        case .faster: speed = min(Scrubber.speeds.upperBound, speed * 2)
        case .slower: speed = max(Scrubber.speeds.lowerBound, speed / 2)
        case .togglePace: recordedPace.toggle()
        case .toggleMark: mark = mark == position ? nil : position
        }
        return position != before
    }

    private mutating func move(to p: Int) {
        position = min(max(0, p), edits)
        if position == edits { playing = false }
    }

    /// Seconds to wait before the next step while playing: 1/speed at uniform
    /// speed; at the recorded pace the real gap between the two edits (capped at
    /// `longestPause`) divided by the speed factor (speed 20 = real time).
    /// `times` are the edits' times in milliseconds. Nil when not playing.
    public func delay(times: [Int64]) -> Double? {
        guard playing, position < edits else { return nil }
        guard recordedPace, position > 0, position < times.count else { return 1 / speed }
        let gap = Double(times[position] - times[position - 1]) / 1000
        return min(max(0, gap), Scrubber.longestPause) * 20 / speed
    }

    /// One step of playback. Returns whether the position changed.
    @discardableResult
    public mutating func step() -> Bool {
        guard playing else { return false }
        let before = position
        move(to: position + 1)
        return position != before
    }
}
