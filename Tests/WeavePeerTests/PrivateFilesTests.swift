import Foundation
import Testing
import WeaveTestSupport
@testable import WeavePeer

/// The invitations file and the identity go through WeaveStore's one durable
/// write (`AtomicFile.writePrivate`): 0600 after every save even when someone
/// made the file readable, and a save that fails leaves the old file whole.
/// (The write itself, cut at every system call and with its temporary file's
/// mode watched from creation, is `PrivateFileTests` in WeaveStoreTests.)
@Suite struct PrivateFilesTests {
    static func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    @Test func anInvitationsFileMadeReadableIsPrivateAgainAfterASave() throws {
        let tmp = try TempDir("private-invitations")
        let store = InvitationStore(document: tmp.file("notes.txt"), directory: tmp.file("config"))
        let identity = try PeerIdentity.generate()
        _ = try store.standing(for: identity, readOnly: false)
        #expect(try Self.mode(store.path) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store.path)
        _ = try store.issue(for: identity, readOnly: true, validFor: nil, label: "guest")
        #expect(try Self.mode(store.path) == 0o600, "a save does not keep a mode that lets others read the file")
        #expect(try store.load().records.count == 2)
    }

    /// The save is made to fail by a directory in the way of its temporary
    /// file (`.NAME.tmp-PID` beside it, as `FileIO.writeAtomically` names it;
    /// were the name to change, the save would succeed and the test fail).
    @Test func aSaveThatFailsLeavesTheInvitationsFileWhole() throws {
        let tmp = try TempDir("private-invitations")
        let store = InvitationStore(document: tmp.file("notes.txt"), directory: tmp.file("config"))
        let identity = try PeerIdentity.generate()
        let first = try store.standing(for: identity, readOnly: false, address: "127.0.0.1:7070")
        let before = try #require(FileManager.default.contents(atPath: store.path))
        let name = (store.path as NSString).lastPathComponent
        let blocker = (store.path as NSString).deletingLastPathComponent + "/.\(name).tmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: blocker + "/inside", withIntermediateDirectories: true)

        #expect(throws: InvitationStoreError.self) { try store.issue(for: identity, readOnly: true, validFor: nil, label: "x") }
        #expect(throws: InvitationStoreError.self) { try store.revokeAll() }
        #expect(FileManager.default.contents(atPath: store.path) == before, "the old file, byte for byte")
        let c = try store.load()
        #expect(c.records.map(\.invitation) == [first] && !c.records[0].revoked && c.address == "127.0.0.1:7070")

        try FileManager.default.removeItem(atPath: blocker)
        #expect(try store.revokeAll() == 1)
        #expect(try store.load().records.allSatisfy(\.revoked))
    }
}
