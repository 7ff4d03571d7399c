/// Reading a trace's JSON one transaction at a time (issue 34): `parse` and
/// `importHistory` are both built on it, so they read the same grammar and
/// reject the same traces, but an import never holds every transaction.
///
/// Two passes over the bytes: the first reads the top-level object (kind,
/// numAgents, startContent, endContent) and checks the whole JSON grammar,
/// only noting where `txns` starts, since a key the replay needs first may
/// come after it; the second reads the transactions from there, one by one.
/// Memory: the bytes, the header's strings and one transaction.
enum TraceStream {
    /// The trace's top-level fields, checked (numAgents is 1 for a sequential trace).
    struct Header {
        var kind: EditingTrace.Kind
        var numAgents: Int
        var startContent: String
        var endContent: String
    }

    /// One transaction as read, checked as `EditingTrace.parse` checks it
    /// (parents earlier, agent in range; a sequential trace's parent is the
    /// transaction before). Its buffers are valid in the callback only.
    struct Transaction {
        var parents: [Int] = []
        var agent = 0
        var patches: [EditingTrace.Patch] = []
        /// The time's bytes, when it is plain ASCII without escapes (most are).
        var timeBytes: UnsafeBufferPointer<UInt8>?
        /// The time otherwise (nil with `timeBytes`: no time).
        var timeText: String?

        /// The time as written, nil when absent or not a string.
        var time: String? {
            if let timeBytes { return String(decoding: timeBytes, as: UTF8.self) }
            return timeText
        }

        /// The time in milliseconds since 1970 (`EditingTrace.millis`), without making a string.
        var millis: Int64 {
            if let timeBytes { return EditingTrace.millis(utf8: timeBytes) }
            return EditingTrace.millis(timeText)
        }
    }

    /// Reads `bytes` as a trace: calls `header` once, then `transaction(i, t)`
    /// for every transaction in order. Throws `TraceError.malformed` naming
    /// what is wrong, or whatever a callback throws (nothing more is read
    /// then). O(input size) plus the callbacks.
    static func read(_ bytes: [UInt8], path: String,
                     header: (Header) throws -> Void,
                     transaction: (Int, Transaction) throws -> Void) throws {
        func bad(_ r: String) -> TraceError { .malformed(path: path, reason: r) }
        var callbackError: Error?
        try bytes.withUnsafeBufferPointer { buffer in
            var end: String?, start: String?, kind: String?, numAgentsRead: Int?
            var txns: Int?
            do {
                var j = TraceJSON(buffer)
                try j.object { j, key throws(TraceJSON.Failure) in
                    switch key {
                    case "endContent": end = try j.stringOrSkip()
                    case "startContent": start = try j.stringOrSkip()
                    case "kind": kind = try j.stringOrSkip()
                    case "numAgents": numAgentsRead = try j.intOrSkip()
                    case "txns":
                        if j.peek() == UInt8(ascii: "[") { txns = j.at }
                        try j.skip()
                    default: try j.skip()
                    }
                }
                try j.end()
            } catch {
                throw bad("invalid JSON (\(error))")
            }
            guard let end else { throw bad("missing endContent") }
            guard let txns else { throw bad("missing txns") }
            let concurrent = kind == "concurrent"
            let numAgents = concurrent ? (numAgentsRead ?? 0) : 1
            if concurrent && numAgents < 1 { throw bad("numAgents missing or < 1") }
            try header(Header(kind: concurrent ? .concurrent : .sequential, numAgents: numAgents,
                              startContent: start ?? "", endContent: end))

            // The transactions (grammar already checked by the first pass).
            var checkFailure: TraceError?
            var t = Transaction()
            do {
                var j = TraceJSON(buffer)
                j.at = txns
                try j.array { j, i throws(TraceJSON.Failure) in
                    var hasPatches = false, malformedPatch = false, parentsRead: Bool? = nil, agent: Int?
                    t.patches.removeAll(keepingCapacity: true)
                    t.parents.removeAll(keepingCapacity: true)
                    t.timeBytes = nil
                    t.timeText = nil
                    if j.peek() == UInt8(ascii: "{") {
                        try j.object { j, key throws(TraceJSON.Failure) in
                            switch key {
                            case "patches":
                                guard j.peek() == UInt8(ascii: "[") else { try j.skip(); return }
                                hasPatches = true
                                t.patches.removeAll(keepingCapacity: true)
                                try j.array { j, _ throws(TraceJSON.Failure) in
                                    guard j.peek() == UInt8(ascii: "[") else { try j.skip(); malformedPatch = true; return }
                                    var pos: Int?, del: Int?, ins: [Unicode.Scalar]?
                                    try j.array { j, k throws(TraceJSON.Failure) in
                                        switch k {
                                        case 0: pos = try j.intOrSkip()
                                        case 1: del = try j.intOrSkip()
                                        case 2: if j.isString() { ins = try j.scalars() } else { try j.skip() }
                                        default: try j.skip(); malformedPatch = true
                                        }
                                    }
                                    guard let pos, let del, let ins, pos >= 0, del >= 0 else { malformedPatch = true; return }
                                    t.patches.append(EditingTrace.Patch(position: pos, deleted: del, inserted: ins))
                                }
                            case "parents":
                                guard j.peek() == UInt8(ascii: "[") else { try j.skip(); return }
                                var valid = true
                                t.parents.removeAll(keepingCapacity: true)
                                try j.array { j, _ throws(TraceJSON.Failure) in
                                    if let p = try j.intOrSkip() { t.parents.append(p) } else { valid = false }
                                }
                                parentsRead = valid
                            case "agent": agent = try j.intOrSkip()
                            case "time":
                                t.timeBytes = nil
                                t.timeText = nil
                                if let r = j.plainString() {
                                    t.timeBytes = UnsafeBufferPointer(rebasing: buffer[r])
                                } else {
                                    t.timeText = try j.stringOrSkip()
                                }
                            default: try j.skip()
                            }
                        }
                    } else {
                        try j.skip()
                    }
                    // The checks `parse` made on every transaction before returning.
                    guard hasPatches else { checkFailure = bad("transaction \(i) has no patches"); throw j.fail("") }
                    if malformedPatch { checkFailure = bad("transaction \(i) has a malformed patch"); throw j.fail("") }
                    if concurrent {
                        guard parentsRead == true, let agent else { checkFailure = bad("transaction \(i) lacks parents or agent"); throw j.fail("") }
                        guard t.parents.allSatisfy({ $0 >= 0 && $0 < i }) else {
                            checkFailure = bad("transaction \(i) names a parent that does not come before it"); throw j.fail("")
                        }
                        guard agent >= 0 && agent < numAgents else {
                            checkFailure = bad("transaction \(i) names agent \(agent) of \(numAgents)"); throw j.fail("")
                        }
                        t.agent = agent
                    } else {
                        t.parents.removeAll(keepingCapacity: true)
                        if i > 0 { t.parents.append(i - 1) }
                        t.agent = 0
                    }
                    // A callback's own error is carried out past the reader's typed throws.
                    do { try transaction(i, t) } catch {
                        callbackError = error
                        throw j.fail("")
                    }
                }
            } catch {
                if let checkFailure { throw checkFailure }
                if let callbackError { throw callbackError }
                throw bad("invalid JSON (\(error))")
            }
        }
    }
}
