import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveWorkspace

/// Issue 29: folder records are operations, not free text. Three honest
/// replicas and one attacker share a manifest RGA. The honest ones append
/// records (some as a line sent in two pieces); the attacker appends its own
/// valid records and forged ones (another replica named as author, clocks far
/// ahead or at 2^64 − 1, hostile names), deletes and edits lines, and leaves
/// half lines. Every operation reaches every replica late, in random order,
/// some twice. Then every honest replica must refuse the same lines, hold the
/// same state, and that state must be exactly the fold of the legitimate
/// records alone; no path in it breaks the path rules.
@Suite struct FolderRecordAdversaryTests {
    static let paths = ["a.txt", "notes.txt", "b", "b/c.txt", "src/main.swift", "docs/read me.md", "caf\u{E9}.txt"]
    static let hostile = ["a/../../etc/x", "\u{1B}[31mred.txt", "bell\u{7}.txt", String(repeating: "x", count: 300),
                          "cafe\u{301}.txt", ".hidden", "a//b", "/abs", "c1\u{85}x", "tab\tname", "d/..", "del\u{7F}"]

    static func state(_ rga: RGA) -> FolderState {
        FolderState(operations: rga.operations(since: VersionVector()))
    }

    static func run(seed: UInt64, steps: Int = 300) throws {
        var rng = SeededRandom(seed: seed)
        let ids = (1 ... 4).map { ReplicaID(UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        var rgas = ids.map { RGA(replica: $0) }  // 0...2 honest, 3 the attacker
        let attacker = 3
        var inboxes: [[WeaveCore.Operation]] = [[], [], [], []]
        var legit: [FolderRecord] = []
        var forgedLines = 0
        var step = 0
        var at: String { "seed \(seed), step \(step) (WEAVE_SEED=\(seed) swift test --filter FolderRecordAdversaryTests)" }

        func send(from i: Int, _ op: WeaveCore.Operation?) {
            guard let op else { return }
            for j in 0 ..< 4 where j != i {
                inboxes[j].append(op)
                if rng.chance(0.1) { inboxes[j].append(op) }  // delivered twice
            }
        }
        func deliver(to j: Int) throws {
            for _ in 0 ..< rng.int(0 ... inboxes[j].count) where !inboxes[j].isEmpty {
                try rgas[j].receive(inboxes[j].remove(at: rng.int(0 ..< inboxes[j].count)))
            }
        }
        func appendLine(_ i: Int, _ line: String) {
            send(from: i, rgas[i].insert(line, at: rgas[i].count))
        }
        /// A valid record of replica i's own, made from its current state.
        func honestRecord(_ i: Int) -> FolderRecord? {
            let s = state(rgas[i])
            let author = ids[i]
            switch rng.int(0 ..< 4) {
            case 0:
                return try? s.create(path: paths[rng.int(0 ..< paths.count)], document: DocumentID(rawValue: rng.next() | 1), author: author)
            case 1:
                guard let e = s.all.randomElement(using: &rng) else { return nil }
                return try? s.rename(e.document, to: paths[rng.int(0 ..< paths.count)], author: author)
            case 2:
                guard let e = s.files.randomElement(using: &rng) else { return nil }
                return try? s.delete(e.document, author: author)
            default:
                guard let e = s.all.filter(\.deleted).randomElement(using: &rng) else { return nil }
                return try? s.restore(e.document, path: e.storedPath, author: author)
            }
        }

        for s in 0 ..< steps {
            step = s
            let i = rng.int(0 ..< 4)
            if i != attacker || rng.chance(0.3) {
                // A legitimate record (the attacker's own too), now and then sent in two pieces.
                guard let r = honestRecord(i) else { continue }
                legit.append(r)
                let line = Array(r.line.unicodeScalars)
                if rng.chance(0.2) {
                    let cut = rng.int(1 ..< line.count)
                    send(from: i, rgas[i].insert(Array(line[..<cut]), at: rgas[i].count))
                    send(from: i, rgas[i].insert(Array(line[cut...]), at: rgas[i].count))
                } else {
                    send(from: i, rgas[i].insert(line, at: rgas[i].count))
                }
            } else {
                let s = state(rgas[attacker])
                let me = ids[attacker]
                let count = rgas[attacker].count
                switch rng.int(0 ..< 6) {
                case 0:  // another replica named as the author
                    let d = s.all.randomElement(using: &rng)?.document ?? DocumentID(rawValue: rng.next() | 1)
                    let r = FolderRecord(kind: rng.chance(0.5) ? .rename : .delete, document: d, lamport: s.nextLamport,
                                         author: ids[rng.int(0 ..< 3)], path: paths[rng.int(0 ..< paths.count)])
                    appendLine(attacker, r.line); forgedLines += 1
                case 1:  // a clock far ahead
                    let d = s.all.randomElement(using: &rng)?.document ?? DocumentID(rawValue: rng.next() | 1)
                    let lamport: UInt64 = [UInt64.max, 1 << 40, UInt64(rgas[attacker].lamport) + 2 + UInt64(rng.int(0 ..< 100))][rng.int(0 ..< 3)]
                    let r = FolderRecord(kind: .rename, document: d, lamport: lamport, author: me, path: paths[rng.int(0 ..< paths.count)])
                    appendLine(attacker, r.line); forgedLines += 1
                case 2:  // a hostile name
                    let r = FolderRecord(kind: .create, document: DocumentID(rawValue: rng.next() | 1), lamport: s.nextLamport,
                                         author: me, path: hostile[rng.int(0 ..< hostile.count)])
                    appendLine(attacker, r.line); forgedLines += 1
                case 3:  // deletes records
                    guard count > 0 else { continue }
                    let a = rng.int(0 ..< count)
                    send(from: attacker, rgas[attacker].delete(at: a, length: rng.int(1 ... count - a)))
                case 4:  // edits a line: deletes part of it and types over it (never at the end)
                    guard count > 2 else { continue }
                    let a = rng.int(0 ..< count - 2)
                    send(from: attacker, rgas[attacker].delete(at: a, length: 1))
                    send(from: attacker, rgas[attacker].insert("x 1 ", at: a))
                default:  // half a line, never finished (never at the end)
                    guard count > 0 else { continue }
                    send(from: attacker, rgas[attacker].insert("create 0000000000000abc 1 \(FolderRecord.hex16(me.rawValue)) half", at: rng.int(0 ..< count)))
                }
            }
            try deliver(to: rng.int(0 ..< 4))
        }
        for j in 0 ..< 4 {
            while !inboxes[j].isEmpty { try deliver(to: j) }
        }

        var expected = FolderState()
        for r in legit.shuffled(using: &rng) { expected.apply(r) }
        let states = (0 ..< 3).map { state(rgas[$0]) }
        let refused = states.map { Set($0.refusals.filter { !$0.isDeletion }.map(\.element)) }
        for (j, st) in states.enumerated() {
            #expect(rgas[j].text == rgas[0].text, "\(at): replica \(j)'s manifest differs")
            #expect(st.all == expected.all, "\(at): replica \(j) holds another state than the legitimate records' fold")
            #expect(st.lamport == expected.lamport, "\(at): replica \(j)'s lamport \(st.lamport), expected \(expected.lamport)")
            #expect(refused[j] == refused[0], "\(at): replica \(j) refused other lines")
            for e in st.all { #expect(WorkspacePath.isValid(e.path) && WorkspacePath.isValid(e.storedPath), "\(at): \(e.path.debugDescription) accepted") }
            try st.checkInvariants()
        }
        if forgedLines > 0 { #expect(!refused[0].isEmpty, "\(at): \(forgedLines) forged lines, none refused") }
        for r in states[0].refusals {
            #expect(!r.reason.unicodeScalars.contains(where: WorkspacePath.isControl), "\(at): \(r.reason.debugDescription)")
        }
    }

    @Test(arguments: [UInt64(29), 2029, 0xF0_1DE2, 77_777, 123_456_789])
    func forgedRecordsAreRefusedAlikeEverywhere(seed: UInt64) throws {
        try Self.run(seed: TestSeed.pick(seed))
    }

    /// The four forgeries of the issue, one by one, each refused with its reason
    /// and changing nothing; an honest record keeps working after them.
    @Test func eachForgeryIsRefusedWithItsReason() throws {
        let host = ReplicaID(0x1111), joiner = ReplicaID(0x2222)
        var h = RGA(replica: host)
        var j = RGA(replica: joiner)
        let readme = DocumentID(rawValue: 0xabc)
        let create = FolderRecord(kind: .create, document: readme, lamport: 1, author: host, path: "README.md")
        let op0 = h.insert(create.line, at: 0)!
        try j.receive(op0)
        let forged = [
            FolderRecord(kind: .create, document: DocumentID(rawValue: 0xe5c), lamport: 2, author: joiner, path: "x\u{1B}]0;pwned\u{7}.txt"),
            FolderRecord(kind: .rename, document: readme, lamport: 3, author: host, path: "moved.md"),
            FolderRecord(kind: .rename, document: readme, lamport: .max, author: joiner, path: "linkdir/README.md"),
        ]
        var ops = [op0]
        for r in forged { ops.append(j.insert(r.line, at: j.count)!) }
        ops.append(j.delete(at: 0, length: create.line.unicodeScalars.count)!)  // removes the host's create
        let s = FolderState(operations: ops)
        #expect(s.files.map(\.path) == ["README.md"])
        #expect(s.lamport == 1)
        let reasons = s.refusals.map(\.reason)
        #expect(reasons.count == 4)
        #expect(reasons[0].contains("control character"))
        #expect(reasons[1].contains("names \(FolderRecord.hex16(host.rawValue)) as its author but was written by replica \(FolderRecord.hex16(joiner.rawValue))"))
        #expect(reasons[2].contains("has clock \(UInt64.max), beyond anything its writer could have seen"))
        #expect(reasons[3].contains("deleted part of the folder's records"))
        // The joiner's honest rename afterwards is accepted (its clock is one above what it saw).
        let honest = try s.rename(readme, to: "docs.md", author: joiner)
        ops.append(j.insert(honest.line, at: j.count)!)
        #expect(FolderState(operations: ops).files.map(\.path) == ["docs.md"])
    }
}
