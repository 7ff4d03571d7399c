import Testing
import WeaveCore
@testable import WeaveEditor

/// A second replica that shares the editor's document.
struct Peer {
    var rga: RGA
    var seen = VersionVector()

    /// A peer that has seen everything `editor` has.
    init(of editor: Editor, id: UInt64 = 2) {
        rga = RGA(replica: ReplicaID(id))
        _ = try? rga.receive(contentsOf: editor.doc.rga.operations(since: VersionVector()))
    }

    /// Brings the peer up to date with the editor.
    mutating func pull(_ editor: Editor) throws {
        try rga.receive(contentsOf: editor.doc.rga.operations(since: rga.version))
    }

    /// Sends the peer's new operations to the editor.
    mutating func push(to editor: inout Editor) throws {
        try editor.receive(rga.operations(since: editor.doc.rga.version))
        try editor.checkInvariants()
    }
}

func press(_ e: inout Editor, _ keys: [Key]) {
    for k in keys { _ = e.handle(k) }
}

@Suite struct UndoScenarios {
    @Test func undoTypingBurst() { scenario("a|b", typing("xyz") + [.ctrl("z")], "a|b") }
    @Test func burstsSplitByMotion() {
        scenario("|", typing("ab") + [.left, .right] + typing("cd") + [.ctrl("z")], "ab|")
    }
    @Test func undoBackspaceBurstPutsCursorAfter() { scenario("abcd|e", [.backspace, .backspace, .ctrl("z")], "abcd|e") }
    @Test func undoDeleteBurstPutsCursorBefore() { scenario("a|bcde", [.delete, .delete, .ctrl("z")], "a|bcde") }
    @Test func undoEnterSeparately() { scenario("|", typing("ab") + [.enter] + typing("cd") + [.ctrl("z"), .ctrl("z")], "ab|") }
    @Test func longBurstSplitsAtLimit() {
        let n = UndoHistory.burstLimit + 10
        scenario("|", typing(String(repeating: "a", count: n)) + [.ctrl("z")],
                 String(repeating: "a", count: UndoHistory.burstLimit) + "|")
    }
    @Test func redo() { scenario("|", typing("ab") + [.ctrl("z"), .ctrl("y")], "ab|") }
    @Test func newEditClearsRedo() { scenario("|", typing("ab") + [.ctrl("z"), .char("c"), .ctrl("y")], "c|") }
    @Test func undoCutAndPaste() {
        scenario("a\n|b\nc", [.ctrl("k"), .ctrl("u"), .ctrl("z"), .ctrl("z")], "a\n|b\nc")
    }
    @Test func undoTypingAfterUndoingItsDeletion() {
        // Type, delete it all, undo the delete (new elements), then undo the typing.
        scenario("|", typing("abc") + [.backspace, .backspace, .backspace, .ctrl("z"), .ctrl("z")], "|")
    }
    @Test func undoRedoRoundTripsMany() {
        scenario("|x", typing("ab") + [.enter, .backspace, .left] + typing("q") + [.ctrl("k")]
                 + Array(repeating: .ctrl("z"), count: 6) + Array(repeating: .ctrl("y"), count: 6),
                 "|")
    }
    @Test func nothingToUndo() {
        var e = makeEditor("a|")
        press(&e, [.ctrl("z")])
        #expect(e.message == "Nothing to undo")
        press(&e, [.ctrl("y")])
        #expect(e.message == "Nothing to redo")
    }

    @Test func remoteInsertBeforeDoesNotBreakUndo() throws {
        var e = makeEditor("hello |world")
        var peer = Peer(of: e)
        press(&e, typing("big "))
        try peer.pull(e)
        peer.rga.insert("Oh, ", at: 0)
        try peer.push(to: &e)
        #expect(marked(e) == "Oh, hello big |world")
        press(&e, [.ctrl("z")])
        #expect(marked(e) == "Oh, hello |world")
        press(&e, [.ctrl("y")])
        #expect(e.text == "Oh, hello big world")
    }

    @Test func remoteTextInsideMyBurstSurvivesUndo() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("abcd"))
        try peer.pull(e)
        peer.rga.insert("XY", at: 2)  // between my b and c
        try peer.push(to: &e)
        #expect(marked(e) == "abXYcd|")
        press(&e, [.ctrl("z")])
        #expect(marked(e) == "|XY")
    }

    @Test func undoOnlyMyEdits() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("mine "))
        try peer.pull(e)
        peer.rga.insert("theirs", at: 5)
        try peer.push(to: &e)
        press(&e, [.ctrl("z"), .ctrl("z")])
        #expect(e.text == "theirs")
        #expect(e.message == "Nothing to undo")
    }

    @Test func undoDeleteAfterRemoteEditsAround() throws {
        var e = makeEditor("one two| three")
        var peer = Peer(of: e)
        press(&e, [.ctrlLeft, .ctrl("d"), .ctrl("d"), .ctrl("d")])  // delete "two"
        #expect(marked(e) == "one | three")
        try peer.pull(e)
        peer.rga.insert(">", at: 0)
        peer.rga.insert("<", at: peer.rga.count)
        try peer.push(to: &e)
        press(&e, [.ctrl("z")])
        #expect(marked(e) == ">one |two three<")
    }

    @Test func undoInsertAlreadyDeletedRemotely() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("abc"))
        try peer.pull(e)
        peer.rga.delete(at: 0, length: 3)
        peer.rga.insert("z", at: 0)
        try peer.push(to: &e)
        press(&e, [.ctrl("z")])
        #expect(e.text == "z")
        #expect(e.message?.contains("already changed") == true)
    }

    @Test func remoteDeletesPartOfMyInsertThenUndoRedo() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("abcdef"))
        try peer.pull(e)
        peer.rga.delete(at: 2, length: 2)  // removes "cd"
        try peer.push(to: &e)
        #expect(e.text == "abef")
        press(&e, [.ctrl("z")])
        #expect(e.text == "")
        press(&e, [.ctrl("y")])
        #expect(e.text == "abef")  // redo restores what undo removed, not what the peer removed
    }

    @Test func undoneOperationsReachPeers() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("hello"))
        try peer.pull(e)
        press(&e, [.ctrl("z")])
        try peer.pull(e)
        #expect(peer.rga.text == "")
        press(&e, [.ctrl("y")])
        try peer.pull(e)
        #expect(peer.rga.text == "hello")
    }

    @Test func cursorStaysOnItsCharacterUnderRemoteEdits() throws {
        var e = makeEditor("abc|def")
        var peer = Peer(of: e)
        peer.rga.insert("123", at: 0)
        try peer.push(to: &e)
        #expect(marked(e) == "123abc|def")
        peer.rga.delete(at: 5, length: 2)  // "c" and "d": the cursor's character goes
        try peer.push(to: &e)
        #expect(marked(e) == "123ab|ef")
        peer.rga.insert("!", at: peer.rga.count)
        try peer.push(to: &e)
        press(&e, [.ctrlEnd])
        peer.rga.delete(at: 0, length: peer.rga.count)
        try peer.push(to: &e)
        #expect(marked(e) == "|")
        #expect(e.modified)
    }

    @Test func typingAfterRemoteEditKeepsBurstUndoable() throws {
        var e = makeEditor("|")
        var peer = Peer(of: e)
        press(&e, typing("ab"))
        try peer.pull(e)
        peer.rga.insert("Z", at: 0)
        try peer.push(to: &e)
        press(&e, typing("cd"))
        #expect(marked(e) == "Zabcd|")
        press(&e, [.ctrl("z")])
        #expect(marked(e) == "Z|")
    }
}
