import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveWorkspace

/// The fold's laws on random record sets: the order records are applied in
/// does not matter, nor does applying them twice, and the registers are what
/// the simplest model (the largest record per document) says.
@Suite struct FolderStatePropertyTests {
    static let paths = ["a.txt", "a (2).txt", "a (3).txt", "b", "b/c.txt", "b/c", "a.txt/x", "Makefile", "d/e f.md", "d/e f (2).md"]

    /// 0–30 records about 1–8 documents from 3 authors, with repeats.
    static func records(_ rng: inout SeededRandom) -> [FolderRecord] {
        let documents = rng.int(1 ... 8)
        var out: [FolderRecord] = []
        for _ in 0 ..< rng.int(0 ... 30) {
            if !out.isEmpty && rng.chance(0.15) {
                out.append(out[rng.int(0 ..< out.count)])
                continue
            }
            out.append(FolderRecord(
                kind: FolderRecord.Kind.allCases[rng.int(0 ..< 4)],
                document: DocumentID(rawValue: UInt64(rng.int(1 ... documents))),
                lamport: UInt64(rng.int(1 ... 10)),
                author: ReplicaID(UInt64(rng.int(1 ... 3))),
                path: paths[rng.int(0 ..< paths.count)]))
        }
        return out
    }

    /// The model: per document, the largest record by (lamport, author, kind
    /// in declaration order, path bytes).
    static func model(_ records: [FolderRecord]) -> [DocumentID: FolderRecord] {
        func rank(_ k: FolderRecord.Kind) -> Int { FolderRecord.Kind.allCases.firstIndex(of: k)! }
        var out: [DocumentID: FolderRecord] = [:]
        for r in records {
            guard let m = out[r.document] else { out[r.document] = r; continue }
            let larger = (r.lamport, r.author.rawValue, rank(r.kind)) > (m.lamport, m.author.rawValue, rank(m.kind))
                || ((r.lamport, r.author.rawValue, rank(r.kind)) == (m.lamport, m.author.rawValue, rank(m.kind))
                    && m.path.utf8.lexicographicallyPrecedes(r.path.utf8))
            if larger { out[r.document] = r }
        }
        return out
    }

    @Test(arguments: [TestSeed.pick(41_001), 41_002, 41_003, 41_004, 41_005])
    func anyOrderGivesTheSameState(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for round in 0 ..< 200 {
            let records = Self.records(&rng)
            var reference = FolderState()
            for r in records { reference.apply(r) }
            try reference.checkInvariants()
            let context = "seed \(seed), round \(round): \(records.map(\.description))"

            // The registers are the model's.
            let model = Self.model(records)
            #expect(reference.all.count == model.count, "\(context)")
            for (d, r) in model {
                let e = reference.entry(d)
                #expect(e?.storedPath == r.path && e?.deleted == (r.kind == .delete) && e?.written == r.stamp, "\(context)")
            }
            #expect(reference.lamport == records.map(\.lamport).max() ?? 0, "\(context)")

            // Shown paths of live files are unique.
            let shown = reference.files.map(\.path)
            #expect(Set(shown).count == shown.count, "\(context)")

            for _ in 0 ..< 4 {
                let order = records.shuffled(using: &rng)
                var one = FolderState()
                for r in order { one.apply(r) }
                // Twice, and as text, in another order.
                let text = records.shuffled(using: &rng).map(\.line).joined()
                var other = FolderState(text: text)
                other.apply(text: text)
                for s in [one, other] {
                    try s.checkInvariants()
                    #expect(s.files == reference.files, "\(context)")
                    #expect(s.all == reference.all, "\(context)")
                    #expect(s.lamport == reference.lamport, "\(context)")
                }
            }
        }
    }
}
