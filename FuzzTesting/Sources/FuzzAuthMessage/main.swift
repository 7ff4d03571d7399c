@testable import WeavePeer

/// Any bytes as one authentication message (`AuthMessage`, decoded before a
/// peer is trusted): decoding never traps; whatever decodes re-encodes and
/// decodes to the same message, and a Proof's name is within its limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuthMessage(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let m = try? AuthMessage.decode(bytes) else { return 0 }
    guard (try? AuthMessage.decode(m.encode())) == m else { fatalError("decode(encode(m)) != m") }
    if case .proof(let p) = m, p.name.utf8.count > AuthMessage.maxName { fatalError("a name over the limit was accepted") }
    return 0
}
