import NIOCore
import WeavePeer

/// Any bytes as a peer's stream: frames are cut with a small limit (so oversized
/// lengths are exercised) and each payload decoded as a Message; whatever
/// decodes must re-encode and decode to the same message. Errors are fine;
/// nothing may trap, and a refused length must leave the buffer untouched.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoder(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var buffer = ByteBufferAllocator().buffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    let limit = 1 << 16
    while true {
        let before = buffer.readerIndex
        let payload: [UInt8]?
        do {
            payload = try FrameDecoder.nextFrame(&buffer, maxFrameSize: limit)
        } catch {
            guard buffer.readerIndex == before else { fatalError("a refused frame consumed bytes") }
            break
        }
        guard let payload else { break }
        guard let message = try? Message.decode(payload) else { continue }
        guard (try? Message.decode(message.encode())) == message else { fatalError("decode(encode(m)) != m") }
    }
    return 0
}
