import Foundation
import Testing
import WeaveCore
@testable import WeavePeer

/// The bindings file a TLS host keeps beside its invitations (docs/WIRE.md,
/// "Security", "Authorship"): read strictly line by line, appended to, first
/// binding of a replica wins.
@Suite struct ReplicaOwnersTests {
    static let keyA = String(repeating: "a", count: 64), keyB = String(repeating: "b", count: 64)

    @Test func bindingsAreKeptAndReadBack() throws {
        let dir = try TempDir("owners")
        let path = dir.file("invitations/x.replicas")
        let owners = ReplicaOwners()
        owners.load(path)  // no file yet: nothing
        #expect(owners.owners.isEmpty)
        #expect(owners.bind(ReplicaID(0x1234), to: Self.keyA) == Self.keyA)
        #expect(owners.bind(ReplicaID(0x1234), to: Self.keyB) == Self.keyA, "a binding never changes")
        owners.bind(ReplicaID(0xFFFF_FFFF_FFFF_FFFF), to: Self.keyB)
        owners.bind(ReplicaID(0x77), to: "replica:0000000000000077")  // plaintext: memory only
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "weave-replicas 1\n0000000000001234\t\(Self.keyA)\nffffffffffffffff\t\(Self.keyB)\n")
        let again = ReplicaOwners()
        again.load(path)
        #expect(again.owners == [ReplicaID(0x1234): Self.keyA, ReplicaID(0xFFFF_FFFF_FFFF_FFFF): Self.keyB])
    }

    @Test func damagedLinesAreSkippedAndTheFirstBindingWins() throws {
        let dir = try TempDir("owners")
        let path = dir.file("x.replicas")
        let lines = [
            "weave-replicas 1",
            "0000000000000001\t\(Self.keyA)",
            "0000000000000001\t\(Self.keyB)",           // later: ignored
            "0000000000000002\t\(Self.keyA.uppercased())", // upper-case hex
            "000000000000003\t\(Self.keyA)",             // 15 digits
            "0000000000000004 \(Self.keyA)",             // no tab
            "0000000000000005\t\(Self.keyA)\textra",
            "zzzzzzzzzzzzzzzz\t\(Self.keyA)",
            "0000000000000006\t\(Self.keyB)",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let owners = ReplicaOwners()
        owners.load(path)
        #expect(owners.owners == [ReplicaID(1): Self.keyA, ReplicaID(6): Self.keyB])

        let headless = dir.file("y.replicas")
        try "0000000000000001\t\(Self.keyA)\n".write(toFile: headless, atomically: true, encoding: .utf8)
        let none = ReplicaOwners()
        none.load(headless)
        #expect(none.owners.isEmpty, "a file without its header is not read")
    }
}
