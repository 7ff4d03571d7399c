import Foundation
import Testing
@testable import WeavePeer

/// Invitations kept on disk: the standing one is reused, extras are added,
/// revocation by ID prefix (with clear errors), a host's book sees a revocation
/// made by another process, the file is private and a damaged one is refused.
@Suite struct InvitationStoreTests {
    let dir = NSTemporaryDirectory() + "weave-invitations-\(UInt32.random(in: 0 ... .max))"
    let identity: PeerIdentity

    init() throws { identity = try PeerIdentity.generate() }

    func store(_ doc: String = "notes.txt") -> InvitationStore {
        InvitationStore(document: dir + "/" + doc, directory: dir + "/config")
    }

    @Test func standingInvitationIsReusedUntilRevoked() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = store()
        let first = try s.standing(for: identity, readOnly: false, address: "127.0.0.1:7070")
        #expect(try s.standing(for: identity, readOnly: false) == first, "a second host run prints the same join command")
        let watch = try s.standing(for: identity, readOnly: true)
        #expect(watch != first && watch.readOnly)
        #expect(try s.load().address == "127.0.0.1:7070")
        try s.revoke([PeerIdentity.hex(first.id)])
        let next = try s.standing(for: identity, readOnly: false)
        #expect(next != first, "a revoked standing invitation is replaced")
        let c = try s.load()
        #expect(c.records.count == 3)
        #expect(c.records.first { $0.invitation == first }?.revoked == true)
        // Another identity (the key was replaced) does not reuse this key's invitation.
        let other = try PeerIdentity.generate()
        #expect(try s.standing(for: other, readOnly: false).hostFingerprint == other.fingerprint)
        // Each document has its own file.
        #expect(store("other.txt").path != s.path)
        #expect(try store("other.txt").load().records.isEmpty)
    }

    @Test func fileIsPrivateAndRoundTrips() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = store()
        let inv = try s.issue(for: identity, readOnly: true, validFor: 3600, label: "class\tof 2026")
        let attributes = try FileManager.default.attributesOfItem(atPath: s.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let dirAttributes = try FileManager.default.attributesOfItem(atPath: dir + "/config/invitations")
        #expect((dirAttributes[.posixPermissions] as? Int) == 0o700)
        let c = try s.load()
        #expect(c.records.count == 1)
        #expect(c.records[0].invitation == inv)
        #expect(c.records[0].label == "class of 2026")
        #expect(!c.records[0].standing)
        #expect(c.records[0].isActive())
        #expect(!c.records[0].isActive(now: inv.expires! + 1))
        #expect(try String(contentsOfFile: s.path, encoding: .utf8).contains("document\t" + s.document))
    }

    @Test func revokeNamesWhatItCannotFind() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = store()
        var ids: [String] = []
        for _ in 0 ..< 40 { ids.append(PeerIdentity.hex(try s.issue(for: identity, readOnly: false, validFor: nil, label: "").id)) }
        #expect(throws: InvitationStoreError.badID("ab")) { try s.revoke(["ab"]) }
        #expect(throws: InvitationStoreError.badID("zzzz")) { try s.revoke(["zzzz"]) }
        let absent = (0 ..< 65536).map { String(format: "%04x", $0) }.first { p in !ids.contains { $0.hasPrefix(p) } }!
        #expect(throws: InvitationStoreError.unknownID(absent)) { try s.revoke([absent]) }
        let revoked = try s.revoke([String(ids[5].prefix(8))])
        #expect(revoked.map(\.idHex) == [ids[5]])
        #expect(try s.load().records.filter(\.revoked).map(\.idHex) == [ids[5]])
        // By token too.
        let inv = try s.issue(for: identity, readOnly: false, validFor: nil, label: "t")
        #expect(try s.revoke([inv.token]).map(\.invitation) == [inv])
        #expect(try s.revokeAll() == 39)
        #expect(try s.load().records.allSatisfy(\.revoked))
        // Two IDs sharing their first four digits: that prefix names both, so it is refused.
        var c = try s.load()
        for last in [UInt8(1), 2] {
            var twin = Invitation.make(for: identity)
            twin.id = [0xAB, 0xCD, 0, 0, 0, 0, 0, last]
            c.records.append(.init(invitation: twin, created: 0, revoked: false, standing: false, label: ""))
        }
        try s.save(c)
        #expect(throws: InvitationStoreError.ambiguousID("abcd", 2)) { try s.revoke(["abcd"]) }
        #expect(try s.revoke(["abcd000000000002"]).count == 1)
    }

    @Test func damagedFileIsRefusedWithItsLineAndLeftAlone() throws {
        try FileManager.default.createDirectory(atPath: dir + "/config/invitations", withIntermediateDirectories: true)
        let s = store()
        let text = "weave-invitations 1\ndocument\t/x\ninvite\tnot-a-token\t0\tactive\tstanding\thost\n"
        try text.write(toFile: s.path, atomically: true, encoding: .utf8)
        #expect(throws: InvitationStoreError.damaged(path: s.path, line: 3, "bad invitation record")) { try s.load() }
        #expect(throws: InvitationStoreError.self) { try s.standing(for: identity, readOnly: false) }
        #expect(try String(contentsOfFile: s.path, encoding: .utf8) == text, "nothing is rewritten")
        try "something else\n".write(toFile: s.path, atomically: true, encoding: .utf8)
        #expect(throws: InvitationStoreError.damaged(path: s.path, line: 1, "not a Weave invitations file")) { try s.load() }
    }

    @Test func runningHostSeesARevocationMadeByAnotherProcess() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = store()
        let inv = try s.standing(for: identity, readOnly: false)
        let book = try InvitationBook(store: s, for: identity)
        #expect((try? book.lookup(id: inv.id).get()) == inv)
        // `weave invite --new` in another process: a new store value, the same file.
        let extra = try store().issue(for: identity, readOnly: true, validFor: nil, label: "guest")
        #expect(book.refresh() == nil)
        #expect((try? book.lookup(id: extra.id).get()) == extra)
        // `weave revoke` in another process.
        try store().revoke([PeerIdentity.hex(inv.id)])
        #expect(book.refresh() == nil)
        #expect(book.lookup(id: inv.id) == .failure(.invitationRevoked))
        #expect((try? book.lookup(id: extra.id).get()) == extra)
        // A damaged file keeps what was loaded, and says why.
        try "garbage\n".write(toFile: s.path, atomically: true, encoding: .utf8)
        #expect(book.refresh() != nil)
        #expect((try? book.lookup(id: extra.id).get()) == extra)
        // Invitations to another key in the same file are not admitted.
        let other = try PeerIdentity.generate()
        try FileManager.default.removeItem(atPath: s.path)
        let foreign = try s.standing(for: other, readOnly: false)
        let book2 = try InvitationBook(store: s, for: identity)
        #expect(book2.lookup(id: foreign.id) == .failure(.unknownInvitation))
    }

    /// `weave invite --new` in another process, then a joiner at once: the
    /// unknown ID makes the book re-read the file before refusing (no wait for
    /// the host's periodic refresh); an ID never issued is still unknown.
    @Test func aNewInvitationAdmitsAtOnce() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let s = store()
        _ = try s.standing(for: identity, readOnly: false)
        let book = try InvitationBook(store: s, for: identity)
        let fresh = try store().issue(for: identity, readOnly: false, validFor: nil, label: "new")
        #expect(book.lookup(id: fresh.id) == .failure(.unknownInvitation), "not refreshed yet")
        #expect((try? book.admit(id: fresh.id).get()) == fresh)
        #expect(book.admit(id: Array(repeating: 0xEE, count: Invitation.idBytes)) == .failure(.unknownInvitation))
        // A revoked one stays revoked (and is not re-read for: it is known).
        try store().revoke([PeerIdentity.hex(fresh.id)])
        #expect((try? book.admit(id: fresh.id).get()) == fresh, "known IDs do not trigger a re-read; the sweep sees the revocation")
        #expect(book.refresh() == nil)
        #expect(book.admit(id: fresh.id) == .failure(.invitationRevoked))
    }
}
