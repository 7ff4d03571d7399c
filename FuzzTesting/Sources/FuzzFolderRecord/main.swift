import WeaveCore
import WeaveWorkspace

/// Any bytes as a manifest (docs/WORKSPACES.md): every line that parses as a
/// folder record has a path within the rules and reads back the same; the
/// text's lines, appended by two replicas in turn, fold (from operations and
/// from text) into a state whose invariants hold and whose every path passes
/// the rules. Nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFolderRecord(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    var lines: [String] = []
    var current = ""
    for c in text.unicodeScalars {
        current.unicodeScalars.append(c)
        if c == "\n" { lines.append(current); current = "" }
    }
    if !current.isEmpty { lines.append(current) }
    for line in lines {
        guard let r = FolderRecord(line: line) else { continue }
        guard WorkspacePath.isValid(r.path) else { fatalError("a record with path \(r.path.debugDescription) was accepted") }
        guard FolderRecord(line: r.line) == r else { fatalError("\(r) does not read back") }
    }
    var replicas = [RGA(replica: ReplicaID(0xc0ffee01)), RGA(replica: ReplicaID(0x9a8b_7c6d_5e4f_3a2b))]
    var ops: [WeaveCore.Operation] = []
    for (i, line) in lines.enumerated() {
        let k = i % 2
        guard let op = replicas[k].insert(line, at: replicas[k].count) else { continue }
        do { try replicas[1 - k].receive(op) } catch { fatalError("\(error)") }
        ops.append(op)
    }
    for state in [FolderState(operations: ops), FolderState(text: text)] {
        do { try state.checkInvariants() } catch { fatalError("\(error)") }
        for e in state.all where !WorkspacePath.isValid(e.storedPath) { fatalError("\(e.storedPath.debugDescription) in the state") }
    }
    return 0
}
