import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Issue 28, defect 7: a peer's cursor was drawn in the wrong column after
/// an undo (column 64 instead of 72). The undo that does it puts text back
/// right at the peer's cursor (`textPutBack…`): the peer's own editor moves
/// its cursor past that text, and the peer sent nothing since it pressed no key.
@Suite(.serialized) struct RemoteCursorUndoTests {
    /// Bob's cursor as alice's screen places it, against where bob's own is.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func aPeersCursorIsWhereThePeerIsAfterItsUndo(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        let line = String(repeating: "x", count: 64)
        try (line + "\n" + line + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let (alice, port) = try SessionPeer.host(file)
        defer { alice.shutdown() }
        let bob = try SessionPeer.memoryJoiner(port: port)
        defer { bob.shutdown() }
        let links = [alice.link, bob.link]
        for s in [alice.session, bob.session] { s.press(.resize(width: 100, height: 20)) }
        #expect(pumpLinks(links) { bob.session.editor.text == alice.session.editor.text && !alice.link.presences.isEmpty })
        Self.rounds(alice: alice.session, bob: bob.session, links: links, seed: seed, saves: false)
    }

    /// The same in a shared folder (where the defect was seen): cursors are
    /// per file, and the file shown may be any.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func inASharedFolder(seed: UInt64) throws {
        let seed = TestSeed.pick(seed)
        let dir = try TempDir()
        let line = String(repeating: "x", count: 64)
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": line + "\n" + line + "\n", "b.txt": "b\n"],
                                                          aliceOpens: "a.txt", bobOpens: "a.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        let links = [alice.link, bob.link]
        for s in [alice.session, bob.session] { s.press(.resize(width: 100, height: 20)) }
        #expect(pumpLinks(links) { !alice.link.presences.isEmpty && bob.session.editor.text == alice.session.editor.text })
        Self.rounds(alice: alice.session, bob: bob.session, links: links, seed: seed, saves: true)
    }

    /// The case seen by hand (two `weave` processes at 80×24): alice deletes
    /// the end of a long line with Backspace, bob puts his cursor where that
    /// text was, and alice's Ctrl-Z puts it back there. Bob's own screen then
    /// shows him after the restored text (Col 73), but bob pressed no key, so
    /// alice kept drawing him before it (Col 65), and F4 Enter took her there.
    @Test func textPutBackAtAPeersCursorMovesThatCursorOnEveryScreen() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try (String(repeating: "x", count: 80) + "\n" + "third\n").write(toFile: file, atomically: false, encoding: .utf8)
        let (alice, port) = try SessionPeer.host(file)
        defer { alice.shutdown() }
        let bob = try SessionPeer.memoryJoiner(port: port)
        defer { bob.shutdown() }
        let links = [alice.link, bob.link]
        #expect(pumpLinks(links) { bob.session.editor.text == alice.session.editor.text && !alice.link.presences.isEmpty })
        Self.putBack(alice: alice.session, bob: bob.session, links: links)
    }

    /// The same in a shared folder.
    @Test func textPutBackAtAPeersCursorInASharedFolder() throws {
        let dir = try TempDir()
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": String(repeating: "x", count: 80) + "\nthird\n", "b.txt": "b\n"],
                                                          aliceOpens: "a.txt", bobOpens: "a.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        let links = [alice.link, bob.link]
        #expect(pumpLinks(links) { !alice.link.presences.isEmpty && bob.session.editor.text == alice.session.editor.text })
        Self.putBack(alice: alice.session, bob: bob.session, links: links)
    }

    /// Alice Backspaces 8 characters at column 72 of the first line, bob goes
    /// to column 64, alice undoes; then alice must draw bob where bob's own
    /// cursor is, and F4 Enter must take her there.
    static func putBack(alice: EditorSession, bob: EditorSession, links: [PeerLink]) {
        func aliceSeesBob() -> Int? { alice.editor.remoteCursors.first?.index(in: alice.editor.doc.rga) }
        alice.press(.home)
        for _ in 0 ..< 72 { alice.press(.right) }
        for _ in 0 ..< 8 { alice.press(.backspace) }
        bob.press(.home)
        for _ in 0 ..< 64 { bob.press(.right) }
        #expect(pumpLinks(links, seconds: 5) { alice.editor.text == bob.editor.text && aliceSeesBob() == 64 && bob.editor.cursor == 64 })
        alice.press(.ctrl("z"))
        let agree = pumpLinks(links, seconds: 5) { alice.editor.text == bob.editor.text && aliceSeesBob() == bob.editor.cursor }
        #expect(agree, "alice draws bob at \(String(describing: aliceSeesBob())), bob's own cursor is at \(bob.editor.cursor)")
        alice.press(.function(4))
        alice.press(.enter)
        #expect(alice.editor.cursor == bob.editor.cursor, "F4 Enter took alice to \(alice.editor.cursor), bob is at \(bob.editor.cursor)")
    }

    /// Six rounds of bob going somewhere, typing, maybe moving, undoing; after
    /// each, alice must draw bob's cursor where bob's own is.
    static func rounds(alice: EditorSession, bob: EditorSession, links: [PeerLink], seed: UInt64, saves: Bool) {
        var g = SeededRandom(seed: seed)
        func aliceSeesBob() -> Int? { alice.editor.remoteCursors.first?.index(in: alice.editor.doc.rga) }
        for round in 0 ..< 6 {
            if g.chance(0.5) { bob.press(.down) }
            bob.press(g.chance(0.5) ? .end : .home)
            for _ in 0 ..< g.int(0 ... 3) { bob.press(.right) }
            for c in String(repeating: "ab", count: g.int(1 ... 4)).unicodeScalars { bob.press(.char(c)) }
            if g.chance(0.3) { bob.press(.left) }
            if g.chance(0.3) { if saves { bob.press(.ctrl("s")) } else { bob.press(.enter); bob.press(.char("z")) } }
            for _ in 0 ..< g.int(1 ... 3) { bob.press(.ctrl("z")) }
            let ok = pumpLinks(links, seconds: 5) { alice.editor.text == bob.editor.text && aliceSeesBob() == bob.editor.cursor }
            #expect(ok, "seed \(seed) round \(round): alice draws bob at \(String(describing: aliceSeesBob())), bob is at \(bob.editor.cursor)")
            if !ok { break }
        }
    }
}
