import WeaveStore

/// Any bytes as a history file: parsing either throws a StoreError or yields a
/// log whose operations build a document (or are refused). Nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogLoader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let loaded = try? OpLog.parse(bytes, path: "fuzz") else { return 0 }
    _ = try? loaded.document(as: .init(7))
    return 0
}
