#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import WeaveCore
@testable import WeavePeer
// Every file of this target uses the shared helpers.
@_exported import PeerTestSupport
@_exported import WeaveTestSupport

/// Frames `m` as a peer would send it.
func frameBytes(_ m: Message) -> [UInt8] { FrameEncoder.frame(m.encode()) }

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// Every frame written to `channel`, decoded.
func writtenMessages(_ channel: EmbeddedChannel) throws -> [Message] {
    var all = ByteBuffer()
    while let b = try channel.readOutbound(as: ByteBuffer.self) { all.writeImmutableBuffer(b) }
    var out: [Message] = []
    while let payload = try FrameDecoder.nextFrame(&all, maxFrameSize: 1 << 30) { out.append(try Message.decode(payload)) }
    return out
}

/// A Hello of another protocol version (greeting layout of version 1 otherwise).
func greetingBytes(kind: Message.Kind, version: UInt64, _ g: Greeting) -> [UInt8] {
    var w = ByteWriter()
    w.bytes.append(kind.rawValue)
    Message.encodeGreeting(g, version: version, into: &w)
    return FrameEncoder.frame(w.bytes)
}
