import Testing
import WeaveCore
@testable import WeaveWorkspace

/// Named scenarios of the folder's state.
@Suite struct FolderStateTests {
    static let alice = ReplicaID(0xA11CE)
    static let bob = ReplicaID(0xB0B)
    static let d1 = DocumentID(rawValue: 0xD1)
    static let d2 = DocumentID(rawValue: 0xD2)
    static let d3 = DocumentID(rawValue: 0xD3)

    /// A record as a test writes it.
    static func r(_ kind: FolderRecord.Kind, _ d: DocumentID, _ lamport: UInt64, _ author: ReplicaID, _ path: String) -> FolderRecord {
        FolderRecord(kind: kind, document: d, lamport: lamport, author: author, path: path)
    }

    /// The state after `records`, applied in order, checked.
    static func state(_ records: [FolderRecord]) throws -> FolderState {
        var s = FolderState()
        for record in records { s.apply(record) }
        try s.checkInvariants()
        return s
    }

    static func shown(_ s: FolderState) -> [String] { s.files.map(\.path) }

    @Test func createRenameDeleteRestore() throws {
        var s = FolderState()
        #expect(s.files.isEmpty && s.all.isEmpty && s.lamport == 0)

        let create = try s.create(path: "notes.txt", document: Self.d1, author: Self.alice)
        #expect(create == Self.r(.create, Self.d1, 1, Self.alice, "notes.txt"))
        #expect(s.files.isEmpty, "a change is a record; it applies nothing")
        s.apply(create)
        #expect(Self.shown(s) == ["notes.txt"])
        #expect(s.document(at: "notes.txt") == Self.d1)
        #expect(s.entry(Self.d1)?.created == WriteStamp(lamport: 1, author: Self.alice))

        let rename = try s.rename(Self.d1, to: "docs/notes.md", author: Self.bob)
        #expect(rename.lamport == 2)
        s.apply(rename)
        #expect(Self.shown(s) == ["docs/notes.md"])
        #expect(s.document(at: "notes.txt") == nil)

        let delete = try s.delete(Self.d1, author: Self.alice)
        #expect(delete == Self.r(.delete, Self.d1, 3, Self.alice, "docs/notes.md"), "a delete carries the path it had")
        s.apply(delete)
        #expect(s.files.isEmpty)
        #expect(s.all.map(\.storedPath) == ["docs/notes.md"])
        #expect(s.entry(Self.d1)?.deleted == true)
        #expect(s.document(at: "docs/notes.md") == nil)
        #expect(!s.isLive(Self.d1))

        let restore = try s.restore(Self.d1, path: "notes.txt", author: Self.bob)
        s.apply(restore)
        #expect(Self.shown(s) == ["notes.txt"])
        #expect(s.entry(Self.d1) == FolderState.Entry(
            document: Self.d1, path: "notes.txt", storedPath: "notes.txt", deleted: false,
            created: WriteStamp(lamport: 1, author: Self.alice), written: WriteStamp(lamport: 4, author: Self.bob)))
        #expect(s.lamport == 4)
        try s.checkInvariants()
    }

    @Test func changesRefuseWhatCannotBeShared() throws {
        let s = try Self.state([Self.r(.create, Self.d1, 1, Self.alice, "a")])
        #expect(throws: WorkspaceError.parentFolderName("../a")) { try s.create(path: "../a", document: Self.d2, author: Self.bob) }
        #expect(throws: WorkspaceError.reservedDocument) { try s.create(path: "b", document: .main, author: Self.bob) }
        #expect(throws: WorkspaceError.unknownDocument(Self.d2)) { try s.rename(Self.d2, to: "b", author: Self.bob) }
        #expect(throws: WorkspaceError.unknownDocument(Self.d2)) { try s.delete(Self.d2, author: Self.bob) }
        #expect(throws: WorkspaceError.unknownDocument(Self.d2)) { try s.restore(Self.d2, path: "b", author: Self.bob) }
        #expect(throws: WorkspaceError.hiddenName(".b", name: ".b")) { try s.rename(Self.d1, to: ".b", author: Self.bob) }
        #expect(WorkspaceError.unknownDocument(Self.d2).description == "document 00000000000000d2 is not in the shared folder")
    }

    /// Equal lamports: the larger author wins, whichever record came first.
    @Test func lastWriterWinsTiesBrokenByAuthor() throws {
        let base = Self.r(.create, Self.d1, 1, Self.alice, "a.txt")
        let byAlice = Self.r(.rename, Self.d1, 2, Self.alice, "alice.txt")
        let byBob = Self.r(.rename, Self.d1, 2, Self.bob, "bob.txt")
        #expect(Self.bob < Self.alice)
        for order in [[base, byAlice, byBob], [base, byBob, byAlice], [byBob, byAlice, base]] {
            let s = try Self.state(order)
            #expect(Self.shown(s) == ["alice.txt"])
            #expect(s.entry(Self.d1)?.written == WriteStamp(lamport: 2, author: Self.alice))
            #expect(s.entry(Self.d1)?.created == WriteStamp(lamport: 1, author: Self.alice))
        }
        // A higher lamport beats any author.
        let later = Self.r(.rename, Self.d1, 3, Self.bob, "later.txt")
        #expect(try Self.shown(Self.state([later, byAlice, base, byBob])) == ["later.txt"])
    }

    @Test func foldingTwiceChangesNothing() throws {
        let records = [Self.r(.create, Self.d1, 1, Self.alice, "a"), Self.r(.rename, Self.d1, 2, Self.bob, "b")]
        var s = FolderState()
        let firstTime = [s.apply(records[0]), s.apply(records[1])]
        #expect(firstTime == [true, true])
        let files = s.files, all = s.all
        let text = records.map(\.line).joined()
        let again = [s.apply(records[0]), s.apply(records[1]), s.apply(text: text), s.apply(text: text)]
        #expect(again == [false, false, false, false])
        #expect(s.files == files && s.all == all && s.lamport == 2)
        let fromText = FolderState(text: text + text)
        #expect(fromText.all == all && fromText.skippedLines == 0)
    }

    @Test func garbageLinesAreSkippedAndCounted() throws {
        let good = Self.r(.create, Self.d1, 1, Self.alice, "a b/c d.txt")
        let text = "hello\n" + good.line + "\n" + "create 00000000000000d2 1 0000000000000001 ../up\n"
            + "frobnicate 00000000000000d3 9 0000000000000001 x\n" + "create 00000000000000d3 1 0000000000000001 partial"
        let s = FolderState(text: text)
        #expect(s.skippedLines == 4, "an unknown line, an empty one, a bad path, an unknown kind")
        #expect(Self.shown(s) == ["a b/c d.txt"], "the unterminated last line is not folded: it may still be arriving")
        #expect(s.lamport == 1, "skipped lines do not move the clock")
        try s.checkInvariants()
    }

    @Test func pathsWithSpaces() throws {
        let s = try Self.state([Self.r(.create, Self.d1, 1, Self.alice, "my notes/to do .txt"),
                                Self.r(.create, Self.d2, 1, Self.bob, " x ")])
        #expect(Self.shown(s) == [" x ", "my notes/to do .txt"])
        #expect(FolderState(text: s.all.map { Self.r(.create, $0.document, 1, Self.alice, $0.storedPath).line }.joined()).files.map(\.path)
                == [" x ", "my notes/to do .txt"])
    }

    /// Two peers create a.txt at once: both files stay; the same one is
    /// renamed on every replica, whatever order they saw the records in.
    @Test func concurrentCreatesOfOnePathKeepBoth() throws {
        let fromAlice = Self.r(.create, Self.d1, 1, Self.alice, "a.txt")
        let fromBob = Self.r(.create, Self.d2, 1, Self.bob, "a.txt")
        let one = try Self.state([fromAlice, fromBob]), other = try Self.state([fromBob, fromAlice])
        #expect(one.files == other.files && one.all == other.all)
        #expect(Self.shown(one) == ["a (2).txt", "a.txt"])
        #expect(one.document(at: "a.txt") == Self.d2, "bob's create sorts first (same lamport, smaller author)")
        #expect(one.document(at: "a (2).txt") == Self.d1)
        #expect(one.entry(Self.d1)?.isRenamedForConflict == true)
        #expect(one.entry(Self.d1)?.storedPath == "a.txt")

        // Renaming the loser resolves it; deleting the winner gives the path back.
        var s = one
        s.apply(Self.r(.delete, Self.d2, 2, Self.bob, "a.txt"))
        #expect(Self.shown(s) == ["a.txt"])
        #expect(s.document(at: "a.txt") == Self.d1)
    }

    /// A later write to the path orders after: three creates, the oldest
    /// keeps the name; a conflict name skips names already held.
    @Test func conflictNamesSkipNamesHeld() throws {
        let records = [
            Self.r(.create, Self.d1, 5, Self.alice, "a.txt"),
            Self.r(.create, Self.d2, 1, Self.alice, "a.txt"),
            Self.r(.create, Self.d3, 1, Self.bob, "a (2).txt"),
            Self.r(.create, DocumentID(rawValue: 0xD4), 3, Self.bob, "a.txt"),
        ]
        let s = try Self.state(records)
        #expect(s.files.map { String($0.document.rawValue, radix: 16) + " " + $0.path }
                == ["d3 a (2).txt", "d4 a (3).txt", "d1 a (4).txt", "d2 a.txt"])
        #expect(try Self.state(records.reversed()).files == s.files)
    }

    /// A file named like a folder of another file cannot be beside it on
    /// disk: the file gives way, even alone at its path.
    @Test func aFileNamedLikeAFolderGivesWay() throws {
        let s = try Self.state([Self.r(.create, Self.d1, 1, Self.alice, "a"),
                                Self.r(.create, Self.d2, 1, Self.bob, "a/b.txt"),
                                Self.r(.create, Self.d3, 2, Self.bob, "a (2)/c")])
        #expect(Self.shown(s) == ["a/b.txt", "a (2)/c", "a (3)"], "name by name: \"a\" before \"a (2)\"")
        #expect(s.document(at: "a (3)") == Self.d1)
    }

    /// A delete and a rename that did not see each other: the higher
    /// lamport wins, in either order.
    @Test func deleteConcurrentWithRename() throws {
        let create = Self.r(.create, Self.d1, 1, Self.alice, "a.txt")
        let rename = Self.r(.rename, Self.d1, 3, Self.bob, "b.txt")
        let delete = Self.r(.delete, Self.d1, 2, Self.alice, "a.txt")
        for order in [[create, rename, delete], [create, delete, rename]] {
            #expect(try Self.shown(Self.state(order)) == ["b.txt"])
        }
        let laterDelete = Self.r(.delete, Self.d1, 4, Self.alice, "a.txt")
        for order in [[create, rename, laterDelete], [create, laterDelete, rename]] {
            let s = try Self.state(order)
            #expect(s.files.isEmpty)
            #expect(s.entry(Self.d1)?.storedPath == "a.txt", "the path the deleter saw")
        }
    }

    /// A rename can arrive before the create it follows (they travel apart):
    /// the file shows at once, and `created` settles on the create.
    @Test func aRenameBeforeItsCreate() throws {
        var s = try Self.state([Self.r(.rename, Self.d1, 4, Self.bob, "b.txt")])
        #expect(Self.shown(s) == ["b.txt"])
        #expect(s.entry(Self.d1)?.created == WriteStamp(lamport: 4, author: Self.bob))
        let changed = s.apply(Self.r(.create, Self.d1, 1, Self.alice, "a.txt"))
        #expect(changed, "the created stamp changed")
        #expect(Self.shown(s) == ["b.txt"])
        #expect(s.entry(Self.d1)?.created == WriteStamp(lamport: 1, author: Self.alice))
        #expect(s.lamport == 4)
        #expect(try s.create(path: "c", document: Self.d2, author: Self.alice).lamport == 5)
    }

    /// Two different records with one stamp (only a forged line does that):
    /// the fold still picks one, the same way in either order.
    @Test func forgedTwinsStillConverge() throws {
        let x = Self.r(.rename, Self.d1, 2, Self.alice, "x"), y = Self.r(.rename, Self.d1, 2, Self.alice, "y")
        let z = Self.r(.delete, Self.d1, 2, Self.alice, "x")
        #expect(try Self.state([x, y, z]).all == Self.state([z, y, x]).all)
        #expect(try Self.state([x, y]).files.map(\.path) == ["y"])
        #expect(try Self.state([x, z]).files.isEmpty, "delete ranks above rename")
    }

    @Test func theClockSaturates() throws {
        let s = try Self.state([Self.r(.create, Self.d1, .max, Self.alice, "a")])
        #expect(s.nextLamport == .max)
        #expect(try s.rename(Self.d1, to: "b", author: Self.bob).lamport == .max)
    }
}
