import WeaveCore
import WeaveHistory

/// The time-travel pane inside the editor: its state, where it sits on the
/// screen, its keys, playback and restore.
///
/// F2 or Ctrl-T asks the host for the timeline (`.openTimeTravel`); the host
/// answers with `openTimeTravel(_:)` and, while the pane is open, hands over a
/// new timeline whenever the history grows (`updateTimeline(_:)`). Playing is
/// driven by the host too: it waits `playDelay` seconds, then calls `playStep()`.
public struct TimeTravelPane: Sendable {
    public internal(set) var view: TimeTravelView
    /// Bursts and edit times, cached per timeline.
    var bursts: [Range<Int>]
    var times: [Int64]
    /// `weave replay`: restore is disabled and Esc quits.
    public let readOnly: Bool
    /// The position a restore was asked about, waiting for y/n.
    public internal(set) var confirming: Int?

    init(_ timeline: Timeline, readOnly: Bool) {
        view = TimeTravelView(timeline: timeline)
        bursts = timeline.bursts()
        times = timeline.history.edits.map(\.time)
        self.readOnly = readOnly
    }

    mutating func update(_ timeline: Timeline) {
        view.update(timeline)
        bursts = timeline.bursts()
        times = timeline.history.edits.map(\.time)
        if let c = confirming, c > timeline.editCount { confirming = nil }
    }

    public var scrubber: Scrubber { view.scrubber }
}

extension Editor {
    // MARK: Geometry

    /// Whether the pane shares the screen with the live document (below it),
    /// rather than covering it (small terminals, `weave replay`).
    var paneSplits: Bool {
        guard let pane, !pane.readOnly else { return false }
        return size.height >= 16
    }

    /// Rows of the pane: 60% of the screen when split, else all but the
    /// message line.
    var paneHeight: Int {
        guard pane != nil else { return 0 }
        return paneSplits ? size.height * 6 / 10 : max(0, size.height - 1)
    }

    /// The pane's first row.
    var paneTop: Int { paneSplits ? textHeight + 1 : 0 }

    // MARK: Host calls

    /// Opens the pane on `timeline` at its latest edit. `readOnly` (for
    /// `weave replay`) disables restore and makes Esc quit.
    public mutating func openTimeTravel(_ timeline: Timeline, readOnly: Bool = false) {
        pane = TimeTravelPane(timeline, readOnly: readOnly)
        mode = .edit
        message = readOnly ? "Time travel (read-only): ←/→ step, Space play, Esc quits"
            : canRestore ? "Time travel: ←/→ step, Space play, r restore, Esc closes"
            : "Time travel: ←/→ step, Space play, Esc closes"
        followCursor()
    }

    /// Whether `r` in the open pane restores: not in a read-only replay, nor in
    /// a read-only editor.
    public var canRestore: Bool { pane?.readOnly == false && readOnly == nil }

    /// The history grew while the pane is open: show the longer timeline,
    /// keeping the position.
    public mutating func updateTimeline(_ timeline: Timeline) {
        pane?.update(timeline)
    }

    /// Seconds until the next playback step, or nil when not playing.
    public var playDelay: Double? {
        guard let pane else { return nil }
        return pane.view.scrubber.delay(times: pane.times)
    }

    /// One playback step (the host calls it after waiting `playDelay`).
    public mutating func playStep() {
        pane?.view.scrubber.step()
    }

    /// The colours peers are drawn in on this screen (their cursors), by
    /// replica: blame uses them too. O(peers).
    var peerColoursByReplica: [ReplicaID: Grid.Colour] {
        var out: [ReplicaID: Grid.Colour] = [:]
        for c in remoteCursors { if let r = c.replica { out[r] = c.colour } }
        return out
    }

    // MARK: Keys

    mutating func handlePane(_ key: Key, effects: inout [Effect]) {
        guard var p = pane else { return }
        message = nil
        if let n = p.confirming {
            p.confirming = nil
            pane = p
            if key == .char("y") || key == .char("Y") {
                restore(to: n)
            } else {
                message = "Restore cancelled"
            }
            return
        }
        var command: Scrubber.Command?
        switch key {
        case .left: command = .back
        case .right: command = .forward
        case .pageUp: command = .pageBack
        case .pageDown: command = .pageForward
        case .home, .ctrlHome: command = .start
        case .end, .ctrlEnd: command = .end
        case .char("["): command = .previousBurst
        case .char("]"): command = .nextBurst
        case .char(let c) where c.value >= 0x30 && c.value <= 0x39:
            command = .digit(Int(c.value - 0x30))
        case .char(" "): command = .playPause
        case .char("+"), .char("="): command = .faster
        case .char("-"), .char("_"): command = .slower
        case .char("p"): command = .togglePace
        case .char("m"): command = .toggleMark
        case .char("b"):
            p.view.blame.toggle()
            message = p.view.blame ? "Blame: every character in its author's colour" : "Blame off"
        case .enter where !p.view.scrubber.typedNumber.isEmpty: command = .jump
        case .enter, .char("r"):
            if let why = readOnly {
                message = "Read-only: \(why). Restore is disabled"
            } else if p.readOnly {
                message = "Read-only replay: restore is disabled (open the file with weave edit)"
            } else {
                let n = p.view.scrubber.position
                if p.view.scrubber.playing { p.view.scrubber.apply(.playPause) }  // pause while asking
                p.confirming = n
                message = "Restore the document to its version after edit \(n)? (y/n)"
            }
        case .escape, .function(2), .ctrl("t"), .ctrl("q"):
            if p.readOnly { effects.append(.quit) }
            pane = nil
            followCursor()
            return
        case .ctrl("f"), .ctrl("w"):
            pane = p
            askPaneFind()
            return
        case .function(3), .alt("w"):
            pane = p
            paneFindAgain(forward: true)
            return
        case .function(4), .function(15), .alt("q"):
            pane = p
            paneFindAgain(forward: false)
            return
        case .ctrl("l"): effects.append(.redraw)
        case .ctrl("s") where !p.readOnly && readOnly == nil: effects.append(.save(text: doc.buffer.text))
        case .function(1), .ctrl("g"):
            mode = .help  // the pane's keys (Help.paneLines), scrolling like the editor's help
            helpTop = 0
        default: effects.append(.bell)
        }
        if let command {
            let before = p.view.scrubber.position
            p.view.scrubber.apply(command, bursts: p.bursts)
            if p.view.scrubber.position != before || command == .toggleMark { p.view.highlight = nil }  // another text
        }
        pane = p
    }

    // MARK: Restore

    /// Makes the live document equal the text after edit `n` of the pane's
    /// timeline: one deletion and one insertion between the common prefix and
    /// suffix, one undo step, broadcast like any edit. O(n).
    mutating func restore(to n: Int) {
        guard let pane else { return }
        let target = pane.view.timeline.scalars(after: n)
        let old = doc.buffer.scalars
        var prefix = 0
        while prefix < old.count && prefix < target.count && old[prefix] == target[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix && suffix < target.count - prefix
            && old[old.count - 1 - suffix] == target[target.count - 1 - suffix] { suffix += 1 }
        let removed = old.count - prefix - suffix
        let inserted = Array(target[prefix ..< target.count - suffix])
        guard removed > 0 || !inserted.isEmpty else {
            message = "The document already equals the version after edit \(n)"
            return
        }
        undo.seal()
        var steps: [UndoHistory.Step] = []
        if removed > 0 {
            let (op, ids, text) = doc.delete(at: prefix, length: removed)
            outgoing.append(op)
            steps.append(.deleted(ids, text: text, cursorAtEnd: false))
        }
        if !inserted.isEmpty {
            let (op, ids) = doc.insert(inserted, at: prefix)
            outgoing.append(op)
            steps.append(.inserted(ids))
        }
        undo.record(group: steps)
        modified = true
        setCursor(prefix + inserted.count)
        message = "Restored the version after edit \(n) (Ctrl-Z undoes it)"
    }
}
