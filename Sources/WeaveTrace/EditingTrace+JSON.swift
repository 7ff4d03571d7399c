/// Writing a trace in the editing-traces JSON format (see the traces' README),
/// so generated histories can be imported and benchmarked like real ones.
extension EditingTrace {
    /// The trace as JSON: `parse(json())` gives the trace back.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        func string(_ scalars: some Sequence<Unicode.Scalar>) {
            out.append(UInt8(ascii: "\""))
            for s in scalars {
                switch s {
                case "\"": raw("\\\"")
                case "\\": raw("\\\\")
                case "\n": raw("\\n")
                case "\r": raw("\\r")
                case "\t": raw("\\t")
                default:
                    if s.value < 0x20 {
                        let hex = String(s.value, radix: 16)
                        raw("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                    } else {
                        UTF8.encode(s) { out.append($0) }
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        raw("{")
        if kind == .concurrent { raw("\"kind\":\"concurrent\",\"numAgents\":\(numAgents),") }
        raw("\"startContent\":"); string(startContent.unicodeScalars)
        raw(",\"endContent\":"); string(endContent.unicodeScalars)
        raw(",\"txns\":[")
        for (i, t) in transactions.enumerated() {
            if i > 0 { raw(",") }
            raw("\n{")
            if kind == .concurrent {
                raw("\"parents\":[" + t.parents.map(String.init).joined(separator: ",") + "],\"agent\":\(t.agent),")
            }
            if let time = t.time { raw("\"time\":"); string(time.unicodeScalars); raw(",") }
            raw("\"patches\":[")
            for (k, p) in t.patches.enumerated() {
                if k > 0 { raw(",") }
                raw("[\(p.position),\(p.deleted),"); string(p.inserted); raw("]")
            }
            raw("]}")
        }
        raw("]}\n")
        return out
    }
}
