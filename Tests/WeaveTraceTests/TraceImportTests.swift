import Testing
import WeaveCore
import WeaveHistory
import WeaveTestSupport
@testable import WeaveTrace

/// `importHistory` (the trace read one transaction at a time, what `weave
/// import` runs) against the import it replaced: `load(path:)` then
/// `history()`, on the real traces and on random ones of both kinds. The
/// history file is encoded from exactly what is compared here (the history,
/// the document's log, version and text), so equal values mean the same file.
struct TraceImportTests {
    /// Expects the streamed import of `bytes` to give what `history()` of the parsed trace gives.
    static func expectSameImport(_ bytes: [UInt8], _ label: String) throws {
        let trace = try EditingTrace.parse(bytes)
        let (ops, oldHistory, oldDoc) = try trace.history()
        let (history, doc) = try EditingTrace.importHistory(bytes)
        #expect(history == oldHistory, "\(label): history")
        #expect(doc.text == oldDoc.text, "\(label): text")
        #expect(doc.text == trace.endContent, "\(label): endContent")
        #expect(doc.version == oldDoc.version, "\(label): version")
        #expect(doc.localReplica == oldDoc.localReplica, "\(label): replica")
        #expect(doc.log.elementsEqual(oldDoc.log), "\(label): log")
        #expect(doc.operations(since: VersionVector()) == ops, "\(label): operations")
    }

    @Test(.enabled(if: TestTraces.runnable("automerge-paper.json.gz") && TestTraces.runnable("friendsforever.json.gz"),
                   "the traces are not in $WEAVE_TRACES or ../shared/traces"),
          arguments: ["automerge-paper.json.gz", "friendsforever.json.gz"])
    func realTracesImportAsBefore(name: String) throws {
        let path = try TestTraces.path(name)
        try Self.expectSameImport(try EditingTrace.readBytes(path: path), name)
        // And from the file, as `weave import` reads it.
        let (history, doc) = try EditingTrace.importHistory(path: path)
        #expect(history.edits.count == (try EditingTrace.load(path: path)).transactions.count)
        #expect(doc.text == (try EditingTrace.load(path: path)).endContent)
    }

    @Test(arguments: 0 ..< 6) func generatedConcurrentTracesImportAsBefore(seed: Int) throws {
        let s = TestSeed.pick(UInt64(seed))
        var generator = TraceGenerator(agents: 3 + seed * 7, transactions: 120, patchesPerTransaction: 4, seed: s)
        generator.openBranches = 1 + seed % 4
        let trace = try generator.generate()
        try Self.expectSameImport(trace.json(), "concurrent seed \(s)")
    }

    @Test(arguments: 0 ..< 6) func randomSequentialTracesImportAsBefore(seed: Int) throws {
        let s = TestSeed.pick(UInt64(100 + seed))
        var rng = SeededRandom(seed: s)
        var text: [Unicode.Scalar] = seed % 2 == 0 ? [] : rng.text(rng.int(1 ... 30))
        let start = String(String.UnicodeScalarView(text))
        var transactions: [EditingTrace.Transaction] = []
        let alphabet: [Unicode.Scalar] = TestText.alphabet + ["\"", "\\", "\t", "/", "\u{01}"]
        for i in 0 ..< 300 {
            var patches: [EditingTrace.Patch] = []
            for _ in 0 ..< rng.int(0 ... 3) {
                let position = rng.int(0 ... text.count)
                let deleted = rng.chance(0.4) ? rng.int(0 ... min(6, text.count - position)) : 0
                let inserted = rng.chance(0.8) ? (0 ..< rng.int(1 ... 5)).map { _ in alphabet[rng.int(0 ..< alphabet.count)] } : []
                text.replaceSubrange(position ..< position + deleted, with: inserted)
                patches.append(EditingTrace.Patch(position: position, deleted: deleted, inserted: inserted))
            }
            let time: String? = rng.chance(0.1) ? nil : "2021-04-19T06:\(10 + i / 60):\(10 + i % 50).\(rng.int(0 ... 999))Z"
            transactions.append(EditingTrace.Transaction(parents: i == 0 ? [] : [i - 1], agent: 0, time: time, patches: patches))
        }
        let trace = EditingTrace(kind: .sequential, numAgents: 1, startContent: start,
                                 endContent: String(String.UnicodeScalarView(text)), transactions: transactions)
        try Self.expectSameImport(trace.json(), "sequential seed \(s)")
    }

    /// The keys the replay needs may come after `txns`; times may be escaped.
    @Test func keysAfterTheTransactionsAndEscapedTimes() throws {
        let json = """
        {"txns": [{"parents": [], "agent": 1, "time": "\\u0032021-04-19T06:06:58.219Z", "patches": [[3, 0, "X"]]},
                  {"parents": [0], "agent": 0, "time": "2021-04-19T06:06:59+01:00", "patches": [[0, 1, ""]]}],
         "endContent": "bcXd", "startContent": "abcd", "numAgents": 2, "kind": "concurrent"}
        """
        try Self.expectSameImport(Array(json.utf8), "keys after txns")
        let (history, _) = try EditingTrace.importHistory(Array(json.utf8))
        #expect(history.edits.map(\.time) == [0, EditingTrace.millis("2021-04-19T06:06:58.219Z"), EditingTrace.millis("2021-04-19T06:06:59+01:00")])
        #expect(history.edits[1].time == 1_618_812_418_219)
    }

    /// A bad trace is an error, not a crash, whatever stage finds it.
    @Test func badTracesAreRefused() throws {
        let bad = [
            "not json",
            "{\"txns\": []}",
            "{\"endContent\": \"\"}",
            "{\"endContent\": \"\", \"txns\": [{\"patches\": [[0, 0, \"a\"]]}], }",
            "{\"endContent\": \"a\", \"txns\": [{\"patches\": [[0, 0, \"a\"]]}, {\"time\": \"x\"}]}",
            "{\"endContent\": \"a\", \"txns\": [{\"patches\": [[0, 0, \"a\"], [0, \"x\", 1]]}]}",
            // A patch beyond the text.
            "{\"endContent\": \"a\", \"txns\": [{\"patches\": [[0, 0, \"a\"], [0, 5, \"\"]]}]}",
            "{\"endContent\": \"a\", \"txns\": [{\"patches\": [[2, 0, \"a\"]]}]}",
            "{\"kind\": \"concurrent\", \"numAgents\": 1, \"endContent\": \"a\", \"txns\": [{\"parents\": [], \"agent\": 0, \"patches\": [[1, 0, \"a\"]]}]}",
            "{\"kind\": \"concurrent\", \"numAgents\": 1, \"endContent\": \"a\", \"txns\": [{\"parents\": [0], \"agent\": 0, \"patches\": []}]}",
            "{\"kind\": \"concurrent\", \"numAgents\": 1, \"endContent\": \"a\", \"txns\": [{\"parents\": [], \"agent\": 1, \"patches\": []}]}",
            // Not reaching endContent.
            "{\"endContent\": \"b\", \"txns\": [{\"patches\": [[0, 0, \"a\"]]}]}",
        ]
        for json in bad {
            #expect(throws: (any Error).self, "\(json)") { try EditingTrace.importHistory(Array(json.utf8)) }
        }
        #expect(throws: TraceError.self) { try EditingTrace.importHistory(path: "/nonexistent/trace.json.gz") }
    }
}
