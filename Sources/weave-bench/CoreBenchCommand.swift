import ArgumentParser
import Foundation
import WeaveCore
import WeaveTrace

/// `weave-bench core`: replays an editing trace (or a generated workload) and reports
/// how fast Weave's CRDT replays, merges, encodes and decodes it, and how much
/// memory the replica holds. Meant for release builds.
struct Core: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Measure the CRDT on an editing trace or a generated workload.",
        discussion: """
        Replays every patch as a local edit (replay_ms), applies all resulting operations \
        to a fresh replica as remote ones (merge_ms; merge_bytes_ms: from the encoded bytes, \
        decode + apply + read the text, as other libraries' merges are timed) and again newest first, so that all \
        but one wait in the causal buffer (merge_rev_ms), encodes the whole history with zlib \
        on top (encode_ms, encoded_bytes) and decodes it back (decode_ms). memory_mb is the \
        resident memory the replica holds: RSS after the replay minus RSS once the trace was \
        parsed. Exits non-zero if the final text differs from the trace's endContent.
        Run it in release: swift run -c release weave-bench core --trace FILE
        """
    )

    @Option(help: "An editing trace (.json or .json.gz, sequential or concurrent).")
    var trace: String?

    @Option(help: "Without --trace: how many random typing edits to generate.")
    var generate: Int = 200_000

    @Option(help: "Seed for the generated workload.")
    var seed: UInt64 = 1

    @Option(help: "Runs of each measurement; the median is reported.")
    var runs: Int = 5

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Also write the history's raw encoding (OpCodec before zlib: the bytes merge_bytes_ms starts from) to this file.")
    var writeEncoding: String?

    mutating func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if generate < 1 { throw ValidationError("--generate must be at least 1") }
        if let trace, !FileManager.default.fileExists(atPath: trace) {
            throw ValidationError("trace file not found: \(trace)")
        }
    }

    func run() throws {
        let loaded: EditingTrace
        let name: String
        if let trace {
            do { loaded = try EditingTrace.load(path: trace) } catch { throw BenchFailure(message: String(describing: error)) }
            name = (trace as NSString).lastPathComponent
        } else {
            loaded = GeneratedWorkload.typing(edits: generate, seed: seed)
            name = "generated(\(generate), seed \(seed))"
        }
        trimHeap()
        let rssParsed = residentBytes()

        // The first replay is kept (for memory and the later stages); more runs only time.
        var doc: RGA
        var clock = ContinuousClock.now
        do { doc = try loaded.replay() } catch { throw BenchFailure(message: String(describing: error)) }
        var replayTimes = [ContinuousClock.now - clock]
        let rssReplayed = residentBytes()
        for _ in 1 ..< runs {
            clock = ContinuousClock.now
            let again = try loaded.replay()
            replayTimes.append(ContinuousClock.now - clock)
            precondition(again.count == doc.count)
        }

        let ok: Bool
        var mismatch: String?
        do { try loaded.verify(doc.text); ok = true } catch { ok = false; mismatch = String(describing: error) }

        let ops = doc.operations(since: VersionVector())
        var mergeTimes: [Duration] = []
        var mergeOK = true
        for _ in 0 ..< runs {
            clock = ContinuousClock.now
            var fresh = RGA(replica: ReplicaID(0xFEED))
            do { try fresh.receive(contentsOf: ops) } catch { throw BenchFailure(message: "merge failed: \(error)") }
            mergeTimes.append(ContinuousClock.now - clock)
            mergeOK = mergeOK && fresh.text == doc.text
        }

        // The same operations newest first: each waits in the causal buffer until
        // the last one delivered (the first made) releases them all.
        var reversedTimes: [Duration] = []
        for _ in 0 ..< runs {
            clock = ContinuousClock.now
            var fresh = RGA(replica: ReplicaID(0xFEED))
            fresh.pendingLimit = ops.count
            do { try fresh.receive(contentsOf: ops.reversed()) } catch { throw BenchFailure(message: "reversed merge failed: \(error)") }
            reversedTimes.append(ContinuousClock.now - clock)
            mergeOK = mergeOK && fresh.text == doc.text && fresh.pendingCount == 0
        }

        var encodeTimes: [Duration] = []
        var raw: [UInt8] = [], packed: [UInt8] = []
        for _ in 0 ..< runs {
            clock = ContinuousClock.now
            raw = OpCodec.encode(doc.log)
            packed = Gzip.compress(raw)
            encodeTimes.append(ContinuousClock.now - clock)
        }

        var decodeTimes: [Duration] = []
        var decodeOK = true
        for _ in 0 ..< runs {
            clock = ContinuousClock.now
            let decoded = try OpCodec.decode(try Gzip.uncompress(packed, originalSize: raw.count))
            decodeTimes.append(ContinuousClock.now - clock)
            decodeOK = decodeOK && decoded.elementsEqual(doc.log)
        }
        // Merge as the other libraries are timed: from the encoded bytes (the
        // raw codec output, before zlib) to the text of a fresh replica.
        var mergeBytesTimes: [Duration] = []
        for _ in 0 ..< runs {
            clock = ContinuousClock.now
            let text = try mergeFromBytes(raw)
            mergeBytesTimes.append(ContinuousClock.now - clock)
            mergeOK = mergeOK && text == doc.text
        }
        if let writeEncoding {
            do {
                try Data(raw).write(to: URL(fileURLWithPath: writeEncoding))
            } catch {
                throw BenchFailure(message: "cannot write \(writeEncoding): \(error.localizedDescription)")
            }
        }
        let replay = median(replayTimes), merge = median(mergeTimes)
        let encode = median(encodeTimes), decode = median(decodeTimes)

        let result = BenchResult(
            trace: name, kind: loaded.kind.rawValue, patches: loaded.patchCount,
            ok: ok && mergeOK && decodeOK,
            replay_ms: replay.ms, merge_ms: merge.ms, merge_bytes_ms: median(mergeBytesTimes).ms, merge_reversed_ms: median(reversedTimes).ms, encode_ms: encode.ms, decode_ms: decode.ms,
            encoded_bytes: packed.count, encoded_raw_bytes: raw.count,
            memory_mb: Double(max(0, rssReplayed - rssParsed)) / 1_048_576,
            replica_mb: Double(doc.estimatedMemoryBytes) / 1_048_576, runs: runs,
            operations: doc.log.count, spans: doc.spanCount, final_length: doc.count)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } else {
            result.printTable()
        }
        if !ok { throw BenchFailure(message: "final text differs from endContent: \(mismatch ?? "")") }
        if !mergeOK { throw BenchFailure(message: "a fresh replica merging all operations did not reach the same text") }
        if !decodeOK { throw BenchFailure(message: "decoding the encoded history did not give the same operations") }
    }
}

func median(_ xs: [Duration]) -> Duration { xs.sorted()[xs.count / 2] }

/// Decodes `bytes` (OpCodec), applies every operation to a fresh replica and
/// reads its text: a remote merge, end to end. Not inlined, so a profiler or
/// `valgrind --toggle-collect` can single it out.
@inline(never)
func mergeFromBytes(_ bytes: [UInt8]) throws -> String {
    var fresh = RGA(replica: ReplicaID(0xFEED))
    do { try fresh.receive(contentsOf: OpCodec.decodeLog(bytes)) } catch { throw BenchFailure(message: "merge from bytes failed: \(error)") }
    return fresh.text
}

/// Returns freed heap memory to the system so RSS differences measure live data.
func trimHeap() {
    #if os(Linux)
    _ = glibcMallocTrim(0)
    #endif
}

#if os(Linux)
@_silgen_name("malloc_trim") func glibcMallocTrim(_ pad: Int) -> Int32
#endif


struct BenchResult: Codable {
    var trace: String
    var kind: String
    var patches: Int
    var ok: Bool
    var replay_ms: Double
    var merge_ms: Double
    var merge_bytes_ms: Double
    var merge_reversed_ms: Double
    var encode_ms: Double
    var decode_ms: Double
    var encoded_bytes: Int
    var encoded_raw_bytes: Int
    var memory_mb: Double
    var replica_mb: Double
    var runs: Int
    var operations: Int
    var spans: Int
    var final_length: Int

    func printTable() {
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        print("trace          \(trace) (\(kind), \(patches) patches)")
        print("result         \(ok ? "ok: final text equals endContent" : "MISMATCH")")
        print("replay_ms      \(f(replay_ms))   all patches as local edits")
        print("merge_ms       \(f(merge_ms))   all \(operations) operations applied to a fresh replica")
        print("merge_bytes_ms \(f(merge_bytes_ms))   from the \(encoded_raw_bytes) encoded bytes (before zlib): decode, apply to a fresh replica, read the text")
        print("merge_rev_ms   \(f(merge_reversed_ms))   the same operations newest first (all wait in the causal buffer until the first arrives)")
        print("encode_ms      \(f(encode_ms))   whole history, codec + zlib")
        print("decode_ms      \(f(decode_ms))   zlib + codec back to operations")
        print("encoded_bytes  \(encoded_bytes)   (\(encoded_raw_bytes) before zlib)")
        print("memory_mb      \(f(memory_mb))   RSS after replay minus RSS after parsing")
        print("replica_mb     \(f(replica_mb))   the replica's own accounting of its arrays (history included)")
        print("(times are medians of \(runs) runs)")
        print("document       \(final_length) scalars in \(spans) spans")
    }
}

extension Duration {
    var ms: Double {
        let c = components
        return Double(c.seconds) * 1e3 + Double(c.attoseconds) / 1e15
    }
}

/// Resident set size of this process, from /proc/self/statm (0 where unavailable).
func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = s.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A generated workload for when no trace is at hand: a typist who mostly types
/// forward, sometimes backspaces, and now and then jumps elsewhere.
enum GeneratedWorkload {
    static func typing(edits: Int, seed: UInt64) -> EditingTrace {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        let words = Array("the quick brown fox jumps over a lazy dog; déjà vu, 日本語 and 🙂\n".unicodeScalars)
        var text: [Unicode.Scalar] = []
        var cursor = 0
        var txns: [EditingTrace.Transaction] = []
        txns.reserveCapacity(edits)
        for i in 0 ..< edits {
            let r = next() % 100
            if r < 3 { cursor = text.isEmpty ? 0 : Int(next() % UInt64(text.count + 1)) }
            let patch: EditingTrace.Patch
            if r < 20 && cursor > 0 {
                patch = .init(position: cursor - 1, deleted: 1, inserted: [])
                text.remove(at: cursor - 1)
                cursor -= 1
            } else {
                let s = words[Int(next() % UInt64(words.count))]
                patch = .init(position: cursor, deleted: 0, inserted: [s])
                text.insert(s, at: cursor)
                cursor += 1
            }
            txns.append(.init(parents: i == 0 ? [] : [i - 1], agent: 0, time: nil, patches: [patch]))
        }
        return EditingTrace(kind: .sequential, numAgents: 1, startContent: "",
                            endContent: String(String.UnicodeScalarView(text)), transactions: txns)
    }
}
