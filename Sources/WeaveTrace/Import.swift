import WeaveCore
import WeaveHistory

extension EditingTrace {
    /// The trace as a document history: every transaction one edit by its
    /// agent's replica (named "agent N"), in the trace's order, with its time.
    /// Returns the operations in the order a replica applying the edits one by
    /// one would log them, the history, and that replica's final document.
    public func history() throws -> (ops: [Operation], history: History, doc: RGA) {
        var history = History()
        var doc = RGA(replica: ReplicaID(UInt64(numAgents) + 1))
        for a in 0 ..< numAgents {
            let id = ReplicaID(UInt64(a) + 1)
            history.authors[id] = Author(replica: id, name: "agent \(a)", colour: a)
        }
        func record(_ ops: [Operation], _ time: Int64) throws {
            try doc.receive(contentsOf: ops)
            history.edits.append(Edit(time: time, ops: ops))
        }
        switch kind {
        case .sequential:
            var author = RGA(replica: ReplicaID(1))
            if !startContent.isEmpty, let op = author.insert(startContent, at: 0) { try record([op], 0) }
            for t in transactions {
                var ops: [Operation] = []
                for p in t.patches {
                    if p.deleted > 0, let op = author.delete(at: p.position, length: p.deleted) { ops.append(op) }
                    if !p.inserted.isEmpty, let op = author.insert(p.inserted, at: p.position) { ops.append(op) }
                }
                try record(ops, EditingTrace.millis(t.time))
            }
        case .concurrent:
            // One document for the whole graph (the walker's), whose log is
            // already in the order the edits are listed.
            let walked = try walk()
            doc = walked.document
            if !startContent.isEmpty {
                // The walker's start: agent 0's first units, before everything.
                let start = Operation(replica: ReplicaID(1), seq: 0, counter: 0, body: .insert(after: nil, text: Array(startContent.unicodeScalars)))
                history.edits.append(Edit(time: 0, ops: [start]))
            }
            for (i, ops) in walked.operations.enumerated() {
                history.edits.append(Edit(time: EditingTrace.millis(transactions[i].time), ops: ops))
            }
        }
        return (doc.operations(since: VersionVector()), history, doc)
    }

    /// Milliseconds since 1970 of an ISO 8601 time like `2021-04-19T06:06:58.219Z`
    /// or `…+01:00`; 0 when absent or unreadable.
    static func millis(_ s: String?) -> Int64 {
        guard let s else { return 0 }
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int64? {
            guard a + n <= u.count else { return nil }
            var v: Int64 = 0
            for b in u[a ..< a + n] {
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int64(b - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2)
        else { return 0 }
        var i = 19
        var ms: Int64 = 0
        if i < u.count && u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 3 { ms = ms * 10 + Int64(u[i] - 48) }
                digits += 1; i += 1
            }
            while digits < 3 { ms *= 10; digits += 1 }
        }
        var offset: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), let oh = num(i + 1, 2), let om = num(i + 4, 2) {
            offset = (oh * 60 + om) * 60_000 * (u[i] == UInt8(ascii: "-") ? -1 : 1)
        }
        // Days from the civil date (proleptic Gregorian).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms - offset
    }
}
