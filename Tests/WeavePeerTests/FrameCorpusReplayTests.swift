import Foundation
import NIOCore
import Testing
@testable import WeavePeer

/// Replays every input the frame-decoder fuzzer keeps (FuzzTesting/Corpus/FuzzFrameDecoder):
/// seeds and every crash ever found, through the same steps as the fuzzer.
struct FrameCorpusReplayTests {
    static func corpus(_ target: String) -> [(String, [UInt8])] {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let dir = parts.joined(separator: "/") + "/FuzzTesting/Corpus/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.sorted().compactMap { n in FileManager.default.contents(atPath: dir + "/" + n).map { (n, Array($0)) } }
    }

    @Test func frameDecoderCorpusDecodesOrFailsCleanly() throws {
        let inputs = Self.corpus("FuzzFrameDecoder")
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
                guard let m = try? Message.decode(payload) else { continue }
                #expect(try Message.decode(m.encode()) == m, "\(name)")
            }
        }
    }

    @Test func fourGiBPrefixIsRefusedFromTheLengthAlone() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: PeerError.frameTooLarge(length: 0xFFFF_FFFF, limit: 16 << 20)) {
            try FrameDecoder.nextFrame(&buffer, maxFrameSize: 16 << 20)
        }
        #expect(buffer.readableBytes == 4 && buffer.capacity < 1 << 20)
    }
}
