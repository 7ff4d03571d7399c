import Foundation
import Testing
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Issue 28, defect 10: a host that died (kill -9 during a joiner's first
/// mirror, seen by hand) stayed in the joiner's file list (Ctrl-B) next to the
/// file it had open, and once restarted it was listed twice there
/// ("● alice ● alice"), although the status line no longer showed it.
@Suite(.serialized) struct FileListPresenceTests {
    /// Who the file list shows in each file, by name.
    static func shown(_ side: WorkspaceSessionTests.Side) -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: (side.session.editor.workspaceFiles ?? []).map { ($0.path, $0.peers.map(\.name)) })
    }

    @Test func aPeerThatLeftIsNoLongerListedInItsFile() throws {
        let dir = try TempDir()
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": "alpha\n", "b.txt": "bravo\n"],
                                                          aliceOpens: "a.txt", bobOpens: "b.txt")
        defer { WorkspaceSessionTests.shutdown(bob) }  // alice's hub is shut down below
        #expect(pumpLinks([alice.link, bob.link]) { Self.shown(bob)["a.txt"] == ["alice"] }, "\(Self.shown(bob))")
        _ = try? alice.hub.shutdown()
        #expect(pumpLinks([bob.link]) { bob.session.editor.peerBadges.isEmpty }, "the status line no longer shows alice")
        #expect(Self.shown(bob)["a.txt"] == [], "the file list no longer shows alice: \(Self.shown(bob))")
    }
}
