import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveTrace

#if canImport(Glibc)
import Glibc
#endif

struct TraceReplayTests {
    @Test(.enabled(if: TestTraces.runnable("automerge-paper.json.gz"), "automerge-paper.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func automergePaperReplaysToItsEndContent() throws {
        let path = try TestTraces.path("automerge-paper.json.gz")
        let trace = try EditingTrace.load(path: path)
        #expect(trace.kind == .sequential)
        #expect(trace.patchCount == 259_778)
        let doc = trace.replaySequential()
        #expect(doc.text == trace.endContent)
        try doc.checkInvariants()
        // All its operations, applied remotely to a fresh replica, through the codec.
        let bytes = OpCodec.encode(doc.operations(since: VersionVector()))
        var fresh = RGA(replica: ReplicaID(99))
        try fresh.receive(contentsOf: OpCodec.decode(bytes))
        #expect(fresh.text == trace.endContent)
        try fresh.checkInvariants()
    }

    @Test(.enabled(if: TestTraces.runnable("friendsforever.json.gz"), "friendsforever.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func friendsForeverConvergesOnEveryReplica() throws {
        let path = try TestTraces.path("friendsforever.json.gz")
        let trace = try EditingTrace.load(path: path)
        #expect(trace.kind == .concurrent)
        #expect(trace.numAgents == 2)
        var checkpoints: [(VersionVector, String)] = []
        let replicas = try trace.replayConcurrent { i, doc in
            if i % 997 == 0 { checkpoints.append((doc.version, doc.text)) }
        }
        for r in replicas {
            #expect(r.text == trace.endContent)
            try r.checkInvariants()
        }
        // The history holds every earlier version exactly.
        #expect(checkpoints.count > 20)
        for (v, text) in checkpoints { #expect(replicas[0].text(at: v) == text) }
    }

    @Test func aMismatchIsReportedWithWhereItDiffers() throws {
        let trace = EditingTrace(kind: .sequential, numAgents: 1, startContent: "", endContent: "abc",
                                 transactions: [.init(parents: [], agent: 0, time: nil, patches: [.init(position: 0, deleted: 0, inserted: Array("abd".unicodeScalars))])])
        let doc = trace.replaySequential()
        #expect(throws: TraceError.self) { try trace.verify(doc.text) }
        do { try trace.verify(doc.text) } catch { #expect(String(describing: error).contains("first difference at scalar 2")) }
    }

    @Test func malformedTraceFilesGiveClearErrors() throws {
        #expect(throws: TraceError.self) { try EditingTrace.parse(Array("{\"txns\": []}".utf8)) }
        #expect(throws: TraceError.self) { try EditingTrace.parse(Array("not json".utf8)) }
        #expect(throws: TraceError.self) { try EditingTrace.parse(Array("{\"endContent\":\"\",\"txns\":[{\"patches\":[[0,\"x\",1]]}]}".utf8)) }
        #expect(throws: TraceError.self) { try EditingTrace.load(path: "/nonexistent/trace.json.gz") }
        let parsed = try EditingTrace.parse(Array("{\"endContent\":\"hé\",\"txns\":[{\"patches\":[[0,0,\"hé\"]]}]}".utf8))
        #expect(try parsed.replay().text == "hé")
    }
}
