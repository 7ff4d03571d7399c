import Foundation
import NIOCore
import Testing
import WeaveCore
@testable import WeavePeer

/// Replays every input the frame-decoder fuzzer keeps (FuzzTesting/Corpus/FuzzFrameDecoder):
/// seeds and every crash ever found, through the same steps as the fuzzer.
struct FrameCorpusReplayTests {
    @Test func frameDecoderCorpusDecodesOrFailsCleanly() throws {
        let inputs = try FuzzCorpus.load("FuzzFrameDecoder")
        #expect(inputs.count >= 2, "the FuzzFrameDecoder corpus is missing")
        for (name, bytes) in inputs {
            var buffer = ByteBuffer(bytes: bytes)
            while true {
                let before = buffer.readerIndex
                let payload: [UInt8]?
                do {
                    payload = try FrameDecoder.nextFrame(&buffer, maxFrameSize: 1 << 16)
                } catch {
                    #expect(buffer.readerIndex == before, "\(name): a refused frame consumed bytes")
                    break
                }
                guard let payload else { break }
                let m: Message
                do { m = try Message.decode(payload) } catch {
                    continue  // a PeerError: `decode` throws nothing else (typed throws)
                }
                #expect(try Message.decode(m.encode()) == m, "\(name)")
            }
        }
    }

    /// Every frame of `bytes` until the decoder needs more or refuses.
    static func frames(_ bytes: [UInt8]) -> (messages: [Message], refused: PeerError?, leftover: Int) {
        var buffer = ByteBuffer(bytes: bytes)
        var out: [Message] = []
        while true {
            do {
                guard let payload = try FrameDecoder.nextFrame(&buffer, maxFrameSize: 1 << 16) else { break }
                guard let m = try? Message.decode(payload) else { break }
                out.append(m)
            } catch {
                return (out, error, buffer.readableBytes)
            }
        }
        return (out, nil, buffer.readableBytes)
    }

    @Test func frameSeedsHoldTheirKnownContent() throws {
        let seeds = Dictionary(uniqueKeysWithValues: try FuzzCorpus.load("FuzzFrameDecoder").map { ($0.name, $0.bytes) })
        let ping = Self.frames(try #require(seeds["seed-ping"]))
        #expect(ping.messages == [.ping(0x0807_0605_0403_0201)] && ping.leftover == 0, "little-endian time")
        let bye = Self.frames(try #require(seeds["seed-bye-then-truncated"]))
        #expect(bye.messages == [.bye("goodbye")] && bye.refused == nil && bye.leftover > 0, "the truncated frame waits for more")
        let hello = Self.frames(try #require(seeds["seed-hello"]))
        guard case .hello(let g)? = hello.messages.first else { Issue.record("seed-hello: \(hello)"); return }
        #expect(g.name == "a" && hello.messages.count == 1)
        #expect(g.share == .file)
        // The same Hello in protocol versions 1 and 2: refused, naming both versions.
        for old in [1, 2] as [UInt64] {
            var bytes = ByteBuffer(bytes: try #require(seeds["seed-hello-v\(old)"]))
            let frame = try FrameDecoder.nextFrame(&bytes, maxFrameSize: 1 << 16)
            let payload = try #require(frame)
            #expect(throws: PeerError.versionMismatch(theirs: old, ours: 3)) { try Message.decode(payload) }
        }
        // Shared folders (version 3): an Open, then a Scoped History.
        let folder = Self.frames(try #require(seeds["seed-open-scoped"]))
        let doc = DocumentID(rawValue: 0x1111)
        #expect(folder.messages == [.open(doc, VersionVector([ReplicaID(7): 2])), .scoped(doc, .history(HistoryNote()))] && folder.leftover == 0)
        let huge = Self.frames(try #require(seeds["seed-4gib-length"]))
        #expect(huge.messages.isEmpty && huge.refused == .frameTooLarge(length: 0xFFFF_FFFF, limit: 1 << 16))
    }

    @Test func fourGiBPrefixIsRefusedFromTheLengthAlone() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: PeerError.frameTooLarge(length: 0xFFFF_FFFF, limit: 16 << 20)) {
            try FrameDecoder.nextFrame(&buffer, maxFrameSize: 16 << 20)
        }
        #expect(buffer.readableBytes == 4 && buffer.capacity < 1 << 20)
    }
}
