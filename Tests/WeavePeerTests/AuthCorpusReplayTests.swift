import Testing
import WeaveTestSupport
@testable import WeavePeer

/// Replays every input the authentication-message fuzzer keeps
/// (FuzzTesting/Corpus/FuzzAuthMessage): seeds and every crash ever found,
/// through the same checks as the fuzzer (FuzzTesting/Sources/FuzzAuthMessage).
struct AuthCorpusReplayTests {
    @Test func authMessageCorpusDecodesOrFailsCleanly() throws {
        let inputs = try FuzzCorpus.load("FuzzAuthMessage")
        #expect(inputs.count >= 5, "the FuzzAuthMessage corpus is missing")
        var decoded = 0
        for (name, bytes) in inputs {
            let m: AuthMessage
            do { m = try AuthMessage.decode(bytes) } catch { continue }
            decoded += 1
            #expect((try? AuthMessage.decode(m.encode())) == m, "\(name)")
            if case .proof(let p) = m { #expect(p.name.utf8.count <= AuthMessage.maxName, "\(name)") }
        }
        #expect(decoded >= 5 && decoded < inputs.count, "the corpus has messages that decode and some that do not")
    }
}
