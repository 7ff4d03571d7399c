import Foundation
import Testing
import WeaveTestSupport
@testable import WeaveTrace

/// The trace reader (`TraceJSON`, no Foundation objects) against the values
/// it must give: `json()`'s round trip on generated traces, and Foundation's
/// JSONSerialization on strings with every kind of escape.
struct TraceJSONTests {
    static func same(_ a: EditingTrace, _ b: EditingTrace) -> Bool {
        a.kind == b.kind && a.numAgents == b.numAgents && a.startContent == b.startContent && a.endContent == b.endContent
            && a.transactions.count == b.transactions.count
            && zip(a.transactions, b.transactions).allSatisfy {
                $0.parents == $1.parents && $0.agent == $1.agent && $0.time == $1.time && $0.patches == $1.patches
            }
    }

    @Test(arguments: 0 ..< 4) func generatedTracesReadBackExactly(seed: Int) throws {
        let trace = try TraceGenerator(agents: 12, transactions: 150, patchesPerTransaction: 5, seed: TestSeed.pick(UInt64(seed))).generate()
        let read = try EditingTrace.parse(trace.json())
        #expect(Self.same(read, trace), "seed \(seed)")
    }

    @Test(arguments: 0 ..< 8) func stringsDecodeAsJSONSerializationDoes(seed: Int) throws {
        var rng = SeededRandom(seed: TestSeed.pick(UInt64(seed)))
        // Random text of scalars written raw or as escapes of every kind.
        let pieces = ["\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\u00e9", "\\u65E5", "\\ud83d\\ude42",
                      "a", "é", "日", "🙂", " "]
        var patches: [String] = []
        var strings: [String] = []
        for _ in 0 ..< 20 {
            let s = (0 ..< rng.int(0 ... 12)).map { _ in pieces[rng.int(0 ..< pieces.count)] }.joined()
            strings.append(s)
            patches.append("[\(rng.int(0 ... 9)), \(rng.int(0 ... 9)), \"\(s)\"]")
        }
        let json = """
        { "extra": {"nested": [1, 2.5e3, -0.25, true, false, null, {"x": "y"}]},
          "startContent": "", "endContent": "\(strings[0])",
          "txns": [ { "time": "2021-04-19T06:06:58.219Z", "unknown": [[]], "patches": [\(patches.joined(separator: ", "))] } ] }
        """
        let read = try EditingTrace.parse(Array(json.utf8))
        let oracle = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(read.endContent == oracle["endContent"] as! String, "seed \(seed)")
        let txns = oracle["txns"] as! [[String: Any]]
        let ps = txns[0]["patches"] as! [[Any]]
        #expect(read.transactions[0].patches.count == ps.count)
        for (p, o) in zip(read.transactions[0].patches, ps) {
            #expect(p.position == o[0] as! Int && p.deleted == o[1] as! Int, "seed \(seed)")
            #expect(p.inserted == Array((o[2] as! String).unicodeScalars), "seed \(seed)")
        }
        #expect(read.transactions[0].time == "2021-04-19T06:06:58.219Z")
    }

    @Test func malformedTracesAreRefusedWithAReason() {
        let cases: [(String, String)] = [
            ("{\"txns\": []}", "missing endContent"),
            ("{\"endContent\": \"\"}", "missing txns"),
            ("{\"endContent\": \"\", \"txns\": [{}]}", "transaction 0 has no patches"),
            ("{\"endContent\": \"\", \"txns\": [{\"patches\": [[1, 2]]}]}", "transaction 0 has a malformed patch"),
            ("{\"endContent\": \"\", \"txns\": [{\"patches\": [[-1, 0, \"\"]]}]}", "transaction 0 has a malformed patch"),
            ("{\"endContent\": \"\", \"txns\": [{\"patches\": [[1.5, 0, \"\"]]}]}", "transaction 0 has a malformed patch"),
            ("{\"kind\": \"concurrent\", \"numAgents\": 1, \"endContent\": \"\", \"txns\": [{\"patches\": []}]}", "lacks parents or agent"),
            ("{\"endContent\": \"\", \"txns\": []} x", "invalid JSON"),
            ("{\"endContent\": \"\\ud800\", \"txns\": []}", "invalid JSON"),
            ("{\"endContent\": \"a\u{01}\", \"txns\": []}", "invalid JSON"),
            ("{\"endContent\": \"", "invalid JSON"),
            ("[1, 2", "invalid JSON"),
        ]
        for (json, reason) in cases {
            do {
                _ = try EditingTrace.parse(Array(json.utf8))
                Issue.record("\(json) was read")
            } catch {
                #expect("\(error)".contains(reason), "\(json): \(error)")
            }
        }
        // Invalid UTF-8 inside a string.
        #expect(throws: TraceError.self) { try EditingTrace.parse(Array("{\"endContent\": \"".utf8) + [0xC0, 0x80] + Array("\", \"txns\": []}".utf8)) }
    }
}
