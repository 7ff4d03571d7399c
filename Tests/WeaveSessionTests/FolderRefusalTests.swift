import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport
import WeaveWorkspace
@testable import WeaveSession

/// Issue 29 (and issue 28 defect 9): a record that cannot be had on this disk
/// is a message and is undone for every peer; it never stops the rest of the
/// folder from being shared, and never touches the file that is there.
@Suite struct FolderRefusalTests {
    @Test func aRecordThisDiskRefusesIsAMessageAndTheRestIsShared() throws {
        let dir = try TempDir("refusal")
        let shared = dir.path + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try Data([0, 1, 2]).write(to: URL(fileURLWithPath: shared + "/blocked"))  // binary: not shared, not a folder
        try "API_KEY=1\n".write(toFile: shared + "/secret.txt", atomically: true, encoding: .utf8)
        try "secret.txt\n".write(toFile: shared + "/.gitignore", atomically: true, encoding: .utf8)

        let folder = try WorkspaceFolder(root: shared, replica: ReplicaID(0xA11CE), author: "alice", colour: 0, workspaceID: 0x5EED)
        _ = try folder.scan()
        #expect(folder.state.files.map(\.path) == ["a.txt"])
        // Records as a peer's Ctrl-N would make them: one under a non-folder, one onto a gitignored file, one fine.
        let bad = DocumentID(rawValue: 0xB1), secret = DocumentID(rawValue: 0xB2), good = DocumentID(rawValue: 0xB3)
        folder.append(try folder.state.create(path: "blocked/new.txt", document: bad, author: folder.replica))
        folder.append(try folder.state.create(path: "secret.txt", document: secret, author: folder.replica))
        folder.append(try folder.state.create(path: "c.txt", document: good, author: folder.replica))
        let hub = PeerHub(document: folder.manifest.doc, configuration: PeerHub.Configuration(name: "alice", colour: 0), onEvent: { _ in })
        defer { _ = try? hub.shutdown() }

        try WorkspaceSession.share(folder, with: hub)  // no throw: each refusal is a message
        #expect(folder.stores[good] != nil && folder.stores[bad] == nil && folder.stores[secret] == nil)
        #expect(!folder.state.isLive(bad) && !folder.state.isLive(secret), "refused creates are undone by delete records")
        #expect(folder.state.files.map(\.path) == ["a.txt", "c.txt"])
        let said = folder.messages.joined(separator: "\n")
        #expect(said.contains("blocked/new.txt: refused, blocked is not a folder"), "\(said)")
        #expect(said.contains("secret.txt: refused, it is ignored by .gitignore"), "\(said)")
        #expect(FileManager.default.contents(atPath: shared + "/blocked") == Data([0, 1, 2]))
        #expect(try String(contentsOfFile: shared + "/secret.txt", encoding: .utf8) == "API_KEY=1\n")
    }
}
