import Foundation
import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveEditor

/// An editor plus the history its host would record: every `.broadcast` and
/// every received batch is one edit; `.openTimeTravel` is answered with the
/// timeline, as EditorSession does.
struct HostedEditor {
    var editor: Editor
    var history = History()
    var clock: Int64 = 1_000
    var broadcasts: [[WeaveCore.Operation]] = []
    var quit = false

    init(_ text: String = "", width: Int = 100, height: Int = 30, replica: ReplicaID = ReplicaID(1)) {
        editor = Editor(fileName: "doc.txt", document: RGA(replica: replica), size: .init(width: width, height: height))
        history.authors[replica] = Author(replica: replica, name: "ann", colour: 0)
        type(text)
    }

    var timeline: Timeline { Timeline(doc: editor.doc.rga, history: history) }

    mutating func record(_ ops: [WeaveCore.Operation]) {
        clock += 250
        history.edits.append(Edit(time: clock, ops: ops))
        if editor.pane != nil { editor.updateTimeline(timeline) }
    }

    @discardableResult
    mutating func press(_ keys: Key..., sourceLocation: SourceLocation = #_sourceLocation) -> [Effect] {
        var all: [Effect] = []
        for k in keys {
            let effects = editor.handle(k)
            for e in effects {
                switch e {
                case .broadcast(let ops): record(ops); broadcasts.append(ops)
                case .openTimeTravel: editor.openTimeTravel(timeline)
                case .quit: quit = true
                default: break
                }
            }
            all += effects
            do { try editor.checkInvariants() } catch {
                Issue.record("invariant after \(k): \(error)", sourceLocation: sourceLocation)
            }
        }
        return all
    }

    mutating func type(_ s: String) {
        for k in typing(s) { press(k) }
    }

    /// A peer's operations, received and recorded as one edit.
    mutating func receive(_ ops: [WeaveCore.Operation], from peer: ReplicaID, name: String) throws {
        history.authors[peer] = Author(replica: peer, name: name, colour: 1)
        try editor.receive(ops)
        record(ops)
    }

    var position: Int? { editor.pane?.scrubber.position }
}

@Suite struct TimeTravelPaneTests {
    @Test func f2AndCtrlTOpenEscCloses() {
        var h = HostedEditor("abc")
        h.press(.function(2))
        #expect(h.editor.pane != nil)
        #expect(h.position == 3)
        h.press(.escape)
        #expect(h.editor.pane == nil)
        h.press(.ctrl("t"))
        #expect(h.editor.pane?.scrubber.edits == 3)
        h.press(.escape)
        #expect(h.editor.pane == nil && !h.quit)
    }

    @Test func movingKeys() {
        var h = HostedEditor("ab cd")   // 5 edits
        h.press(.function(2))
        h.press(.left); #expect(h.position == 4)
        h.press(.left, .left); #expect(h.position == 2)
        h.press(.right); #expect(h.position == 3)
        h.press(.home); #expect(h.position == 0)
        h.press(.end); #expect(h.position == 5)
        h.press(.pageUp); #expect(h.position == 4)   // 1% of 5 edits rounds up to one
        h.press(.pageDown); #expect(h.position == 5)
        h.press(.char("2"), .enter); #expect(h.position == 2)
        h.press(.char("9"), .char("9"), .enter); #expect(h.position == 5)  // clamped
        #expect(h.editor.text == "ab cd", "pane keys never edit")
        #expect(h.press(.ctrl("s")) == [.save(text: "ab cd")], "Ctrl-S still saves")
        #expect(h.broadcasts.count == 5)
    }

    @Test func burstKeysJumpBetweenAuthors() throws {
        var h = HostedEditor("aaa")
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: h.editor.doc.rga.operations(since: peer.version))
        for (i, c) in "bb".unicodeScalars.enumerated() {
            try h.receive([peer.insert([c], at: 3 + i)!], from: ReplicaID(2), name: "bob")
        }
        h.press(.ctrlEnd)
        h.type("c")  // edits: aaa (0..<3) bb (3..<5) c (5..<6)
        h.press(.function(2))
        h.press(.char("[")); #expect(h.position == 5)
        h.press(.char("[")); #expect(h.position == 3)
        h.press(.char("[")); #expect(h.position == 0)
        h.press(.char("]")); #expect(h.position == 3)
        h.press(.char("]")); #expect(h.position == 5)
    }

    @Test func playPauseSpeedPaceBlameMark() {
        var h = HostedEditor("abcd")
        h.press(.function(2))
        #expect(h.editor.playDelay == nil)
        h.press(.char(" "))                      // at the end: plays from the start
        #expect(h.position == 0)
        #expect(h.editor.playDelay == 1.0 / 20)
        h.editor.playStep(); h.editor.playStep()
        #expect(h.position == 2)
        h.press(.char("+")); #expect(h.editor.playDelay == 1.0 / 40)
        h.press(.char("-"), .char("-")); #expect(h.editor.playDelay == 1.0 / 10)
        h.press(.char("p")); #expect(h.editor.pane?.scrubber.recordedPace == true)
        #expect(h.editor.playDelay == 0.25 * 20 / 10)   // edits 250 ms apart, speed 10 of 20
        h.press(.char(" ")); #expect(h.editor.playDelay == nil)
        h.press(.char("b")); #expect(h.editor.pane?.view.blame == true)
        h.press(.char("m")); #expect(h.editor.pane?.scrubber.mark == 2)
        h.press(.char("m")); #expect(h.editor.pane?.scrubber.mark == nil)
        // Playing to the end stops.
        h.press(.char(" "))
        for _ in 0 ..< 10 { h.editor.playStep() }
        #expect(h.position == 4 && h.editor.playDelay == nil)
    }

    @Test func restoreAsksThenMakesTheLiveDocumentEqualThatVersion() {
        var h = HostedEditor("one\ntwo")
        h.press(.function(2))
        h.press(.char("3"), .enter)              // a typed number: Enter jumps
        #expect(h.position == 3)
        h.press(.char("r"))
        #expect(h.editor.message?.contains("(y/n)") == true)
        h.press(.char("n"))
        #expect(h.editor.message == "Restore cancelled")
        #expect(h.editor.text == "one\ntwo")
        h.press(.enter)                          // no number: Enter restores too
        let sent = h.broadcasts.count
        h.press(.char("y"))
        #expect(h.editor.text == "one")
        #expect(h.broadcasts.count == sent + 1, "the restore is broadcast as one edit")
        #expect(h.editor.modified)
        // The history before it is kept, and the timeline grew by the restore.
        #expect(h.editor.pane?.scrubber.edits == 8)
        #expect(h.timeline.text(after: 7) == "one\ntwo")
        #expect(h.timeline.text(after: 8) == "one")
        // One undo step brings the text back.
        h.press(.escape)
        h.press(.ctrl("z"))
        #expect(h.editor.text == "one\ntwo")
    }

    @Test func restoreKeepsLaterTextOfOthersOutsideTheChangedSpan() {
        var h = HostedEditor("hello world")
        h.press(.home)
        h.press(.delete, .delete, .delete, .delete, .delete)     // " world"
        h.type("HOWDY")
        #expect(h.editor.text == "HOWDY world")
        h.press(.function(2), .char("1"), .char("1"), .enter, .char("r"), .char("y"))
        #expect(h.editor.text == "hello world")
    }

    @Test func remoteEditsKeepArrivingWhileThePaneIsOpen() throws {
        var h = HostedEditor("abc")
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: h.editor.doc.rga.operations(since: peer.version))
        h.press(.function(2), .left)
        #expect(h.position == 2)
        try h.receive([peer.insert(["X"], at: 0)!], from: ReplicaID(2), name: "bob")
        #expect(h.editor.pane?.scrubber.edits == 4)
        #expect(h.position == 2, "the position stays where the user put it")
        #expect(h.editor.text == "Xabc")
        h.press(.end)
        #expect(h.editor.render().lines.contains(" Time travel  4/4  bob"))
    }

    @Test func readOnlyReplayRefusesRestoreAndEscQuits() {
        var h = HostedEditor("abc")
        h.editor.openTimeTravel(h.timeline, readOnly: true)
        h.press(.left, .char("r"))
        #expect(h.editor.message?.contains("restore is disabled") == true)
        h.press(.char("y"))
        #expect(h.editor.text == "abc")
        #expect(!h.quit)
        h.press(.escape)
        #expect(h.quit)
        // Full screen: the pane starts at the top.
        var r = HostedEditor("abc")
        r.editor.openTimeTravel(r.timeline, readOnly: true)
        #expect(r.editor.render().lines[0].hasPrefix(" Time travel  3/3"))
    }

    @Test func smallTerminalGetsTheWholeScreen() {
        var h = HostedEditor("abc", width: 60, height: 12)
        h.press(.function(2))
        let g = h.editor.render()
        #expect(g.lines[0].hasPrefix(" Time travel  3/3  ann"))
        #expect(g.lines[11].hasPrefix("Time travel: ←/→ step"))
        #expect(g.cursor == nil)
    }
}

/// Golden: the pane at 100×30 inside the editor, below the live document.
@Suite struct TimeTravelPaneGoldenTests {
    @Test func paneInsideTheEditorAt100x30() throws {
        var h = HostedEditor("The cat sat.\nIt purred.\n")
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: h.editor.doc.rga.operations(since: peer.version))
        try h.receive([peer.insert(Array("black ".unicodeScalars), at: 4)!], from: ReplicaID(2), name: "bob")
        h.editor.historyStatus = "history saved"
        h.press(.function(2), .left)
        let g = h.editor.render()
        try GoldenTests().check("pane-100x30", g)
        #expect(g.width == 100 && g.height == 30)
        // Live document on top (10 rows), its status line, the pane (18 rows), the message line.
        #expect(g.lines[0] == "The black cat sat.")
        #expect(g.lines[10].hasPrefix(" doc.txt  [modified]"))
        #expect(g.lines[10].hasSuffix("history saved  Ln 3, Col 1"))
        #expect(g.lines[11] == " Time travel  24/25  ann")
        #expect(g.lines[14] == "The cat sat.")
        #expect(g.lines[15] == "It purred.")
        #expect(g.lines[28].hasPrefix("←→ step"))
        #expect(g.lines[29] == "Esc closes time travel")
        // The step's insertion (the final newline) is highlighted: the text shown
        // lacks bob's word, which came after this point.
        #expect(g.rows[12][95].text == "●")
        #expect(g.rows[13][99].colour == Grid.Colour.author(1).rawValue)   // bob, last in the strip
        #expect(g.rows[13][0].colour == Grid.Colour.author(0).rawValue)    // ann
        #expect(g.cursor == nil)
    }
}

/// The pane's hint row lists only keys that work there and fits the width,
/// leaving hints off whole (never one cut in the middle).
@Suite struct TimeTravelHintTests {
    /// The hint row: the pane's last row.
    func hintRow(_ h: HostedEditor) -> String {
        let g = h.editor.render()
        return g.lines[g.height - 2]
    }

    @Test func atEightyColumnsTheRowFitsWithWholeHints() {
        var h = HostedEditor("abc", width: 80, height: 24)
        h.press(.function(2))
        let row = hintRow(h)
        #expect(CharWidth.of(row.unicodeScalars) <= 80, "\(row)")
        let all = TimeTravelView.paneKeys(restore: true).map(\.text)
        let shown = row.components(separatedBy: "  ")
        #expect(shown.allSatisfy(all.contains), "every hint whole: \(row)")
        for kept in ["←→ step", "Space play", "0-9⏎ go", "r restore"] { #expect(shown.contains(kept), "\(kept) kept: \(row)") }
    }

    @Test func aReadOnlyReplayDoesNotOfferRestore() {
        var h = HostedEditor("abc", width: 80, height: 24)
        h.editor.openTimeTravel(h.timeline, readOnly: true)
        #expect(!hintRow(h).contains("restore"), "\(hintRow(h))")
        #expect(h.editor.message?.contains("restore") == false)
        h.press(.function(1))  // the pane's help screen
        let help = h.editor.render().lines.joined(separator: "\n")
        #expect(!help.contains("restore"), "\(help)")
        #expect(help.contains("quit the replay"), "\(help)")
    }

    @Test func aReadOnlyEditorDoesNotOfferRestoreEither() {
        var h = HostedEditor("abc", width: 120, height: 30)
        h.editor.readOnly = "a read-only invitation"
        h.press(.function(2))
        #expect(hintRow(h).contains("m mark") && !hintRow(h).contains("restore"), "\(hintRow(h))")
        #expect(h.editor.message == "Time travel: ←/→ step, Space play, Esc closes")
    }

    @Test func fitLeavesOffTheHighestRanksFirst() {
        let hints: [TimeTravelView.KeyHint] = [.init("aa", rank: 0), .init("bb", rank: 2), .init("cc", rank: 1)]
        #expect(TimeTravelView.fit(hints, width: 10) == "aa  bb  cc")
        #expect(TimeTravelView.fit(hints, width: 9) == "aa  cc")
        #expect(TimeTravelView.fit(hints, width: 5) == "aa")
        #expect(TimeTravelView.fit(hints, width: 1) == "")
    }

    @Test func aHostSetsItsOwnKeyHint() {
        var e = Editor(fileName: "a.txt", text: "x")
        #expect(e.render().lines[23].hasPrefix("F1 help  ^S save"))
        e.keyHint = ""
        #expect(e.render().lines[23] == "")
        e.notify("a message")
        #expect(e.render().lines[23] == "a message")
    }
}
