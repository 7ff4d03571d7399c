import Testing
import WeaveCore
import WeaveWorkspace

@Suite struct FolderRecordTests {
    static let doc = DocumentID(rawValue: 0xAB)
    static let author = ReplicaID(0x1234_5678_9ABC_DEF0)

    @Test func lineFormat() {
        let r = FolderRecord(kind: .create, document: Self.doc, lamport: 7, author: ReplicaID(1), path: "docs/read me.md")
        #expect(r.line == "create 00000000000000ab 7 0000000000000001 docs/read me.md\n")
        #expect(r.description == "create 00000000000000ab 7 0000000000000001 docs/read me.md")
    }

    @Test(arguments: FolderRecord.Kind.allCases)
    func everyKindRoundTrips(kind: FolderRecord.Kind) {
        for path in ["a", "x y/z w.txt", " leading", "trailing ", "日本語.txt"] {
            let r = FolderRecord(kind: kind, document: Self.doc, lamport: .max, author: Self.author, path: path)
            #expect(FolderRecord(line: r.line) == r)
            #expect(FolderRecord(line: r.line.dropLast()) == r)  // without its "\n"
        }
    }

    /// Strict: anything off is nil, never a guess.
    @Test func malformedLinesDoNotParse() {
        let a = "0000000000000001"
        let bad = [
            "",
            "\n",
            "create",
            "create 00000000000000ab 1 \(a)",  // no path
            "create 00000000000000ab 1 \(a) ",  // empty path
            "move 00000000000000ab 1 \(a) x",  // unknown kind
            "Create 00000000000000ab 1 \(a) x",
            "create 00000000000000AB 1 \(a) x",  // upper-case hex
            "create 0000000000000ab 1 \(a) x",  // 15 digits
            "create 000000000000000ab 1 \(a) x",  // 17 digits
            "create 0000000000000000 1 \(a) x",  // the manifest itself
            "create 00000000000000ab +1 \(a) x",
            "create 00000000000000ab -1 \(a) x",
            "create 00000000000000ab 01 \(a) x",  // leading zero
            "create 00000000000000ab 18446744073709551616 \(a) x",  // UInt64.max + 1
            "create 00000000000000ab 1x \(a) x",
            "create 00000000000000ab  1 \(a) x",  // two spaces
            "create 00000000000000ab 1 000000000000000g x",
            "create 00000000000000ab 1 \(a) ../x",
            "create 00000000000000ab 1 \(a) /x",
            "create 00000000000000ab 1 \(a) .git/config",
            "create 00000000000000ab 1 \(a) a\rb",
            "create 00000000000000ab 1 \(a) x\n\n",  // two line ends
            "create\t00000000000000ab 1 \(a) x",
        ]
        for line in bad {
            #expect(FolderRecord(line: line) == nil, "\(line.debugDescription)")
        }
        #expect(FolderRecord(line: "create 00000000000000ab 0 \(a) x")?.lamport == 0)
        #expect(FolderRecord(line: "create 00000000000000ab 18446744073709551615 \(a) x")?.lamport == .max)
        #expect(FolderRecord(line: "delete 00000000000000ab 3 \(a) a  b")?.path == "a  b")
    }
}
