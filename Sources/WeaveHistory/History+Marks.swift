import WeaveCore

// A history and the edit marks that travel between peers (WeaveCore.EditMark):
// what a history states about its edits, and how a received batch becomes edits.

extension History {
    /// The edits as marks: each range of each edit, at the edit's time. An edit
    /// recorded after marks existed is one author's run (one mark); an older
    /// one received as a batch gives one mark per replica in it, at the time it
    /// arrived (the best this history knows). O(edits · ranges).
    public var editMarks: [EditMark] {
        var out: [EditMark] = []
        out.reserveCapacity(edits.count)
        for e in edits {
            for r in e.ranges where r.count > 0 {
                out.append(EditMark(replica: r.replica, start: r.start, count: r.count, time: e.time))
            }
        }
        return out
    }

    /// Appends `ops` (applied in this order) as the edits their marks say,
    /// else as one edit at `fallbackTime`.
    public mutating func append(_ ops: [Operation], splitBy marks: MarkTable, fallbackTime: Int64) {
        for piece in marks.split(ops, fallbackTime: fallbackTime) {
            edits.append(Edit(time: piece.time, ops: piece.ops))
        }
    }
}
