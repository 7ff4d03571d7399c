import WeaveCore

/// Any bytes: decoding either throws a DecodeError or yields operations that
/// re-encode to the same list; whatever decodes is offered to a document, which
/// either applies it or refuses it. Nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let ops = try? OpCodec.decode(bytes) else { return 0 }
    guard (try? OpCodec.decode(OpCodec.encode(ops))) == ops else { fatalError("decode(encode(x)) != x") }
    var doc = RGA(replica: ReplicaID(1))
    doc.pendingLimit = 64
    for op in ops { _ = try? doc.receive(op) }
    do { try doc.checkInvariants() } catch { fatalError("\(error)") }
    _ = doc.text
    return 0
}
