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

    /// Imports the trace at `path` (`.json` or `.json.gz`) as `history()`
    /// makes it, reading its JSON one transaction at a time (`TraceStream`)
    /// instead of holding every transaction first (issue 34: the held trace
    /// was most of `weave import`'s peak, 58 MB of 90 MB for automerge-paper).
    /// Returns the same history and document as `load(path:).history()`, and
    /// checks that the document reaches the trace's endContent. Throws
    /// `TraceError` (a patch that does not fit the text, too) or the
    /// walker's `GraphWalkerError`.
    public static func importHistory(path: String) throws -> (history: History, document: RGA) {
        try importHistory(readBytes(path: path), path: path)
    }

    /// `importHistory(path:)` of a trace's JSON bytes.
    public static func importHistory(_ bytes: [UInt8], path: String = "<memory>") throws -> (history: History, document: RGA) {
        var history = History()
        var endContent = ""
        // Sequential: the author's edits, received by a document of its own (as `history()`).
        var author = RGA(replica: ReplicaID(1))
        var doc = RGA(replica: ReplicaID(2))
        var walker: GraphWalker?
        try TraceStream.read(bytes, path: path, header: { h in
            endContent = h.endContent
            for a in 0 ..< h.numAgents {
                let id = ReplicaID(UInt64(a) + 1)
                history.authors[id] = Author(replica: id, name: "agent \(a)", colour: a)
            }
            let start = Array(h.startContent.unicodeScalars)
            switch h.kind {
            case .sequential:
                if let op = author.insert(start, at: 0) {
                    try doc.receive(contentsOf: [op])
                    history.edits.append(Edit(time: 0, ops: [op]))
                }
            case .concurrent:
                walker = GraphWalker(agents: h.numAgents, startContent: start)
                if !start.isEmpty {
                    let op = Operation(replica: ReplicaID(1), seq: 0, counter: 0, body: .insert(after: nil, text: start))
                    history.edits.append(Edit(time: 0, ops: [op]))
                }
            }
        }) { i, t in
            if walker != nil {
                try walker!.prepare(parents: t.parents)
                let ops = try walker!.commit(agent: t.agent, patches: t.patches.map {
                    TextEdit(position: $0.position, removed: $0.deleted, inserted: $0.inserted)
                })
                history.edits.append(Edit(time: t.millis, ops: ops))
                return
            }
            var ops: [Operation] = []
            for (k, p) in t.patches.enumerated() {
                guard p.position + p.deleted <= author.count else {
                    throw TraceError.malformed(path: path, reason: "transaction \(i), patch \(k): removing \(p.deleted) at \(p.position) does not fit a text of \(author.count) scalars")
                }
                if p.deleted > 0, let op = author.delete(at: p.position, length: p.deleted) { ops.append(op) }
                if !p.inserted.isEmpty, let op = author.insert(p.inserted, at: p.position) { ops.append(op) }
            }
            try doc.receive(contentsOf: ops)
            history.edits.append(Edit(time: t.millis, ops: ops))
        }
        if walker != nil {
            _ = walker!.finish()
            doc = walker!.document
            walker = nil
        }
        try check(doc.text, against: endContent)
        return (history, doc)
    }

    /// Milliseconds since 1970 of an ISO 8601 time like `2021-04-19T06:06:58.219Z`
    /// or `…+01:00`; 0 when absent or unreadable.
    static func millis(_ s: String?) -> Int64 {
        guard var s else { return 0 }
        return s.withUTF8 { millis(utf8: $0) }
    }

    /// `millis` of a time's UTF-8 bytes.
    static func millis(utf8 u: UnsafeBufferPointer<UInt8>) -> Int64 {
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
