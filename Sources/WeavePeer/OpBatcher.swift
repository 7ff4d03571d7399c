import WeaveCore

/// Cuts a list of operations into batches of at most `maxUnits` units each,
/// slicing operations that do not fit, so that every batch fits in one frame.
/// Batches keep the list's order (which applies causally).
struct OpBatcher {
    let ops: [Operation]
    let maxUnits: Int
    private var index = 0
    /// Units of `ops[index]` already handed out.
    private var offset = 0

    init(_ ops: [Operation], maxUnits: Int) {
        precondition(maxUnits > 0, "batch size must be positive")
        self.ops = ops
        self.maxUnits = maxUnits
    }

    var isDone: Bool { index == ops.count }

    /// The next batch, or nil when all were handed out. O(batch units).
    mutating func next() -> [Operation]? {
        guard index < ops.count else { return nil }
        var batch: [Operation] = []
        var units = 0
        while index < ops.count && units < maxUnits {
            let op = ops[index]
            let take = min(op.length - offset, maxUnits - units)
            batch.append(offset == 0 && take == op.length ? op : op.slice(offset, offset + take))
            units += take
            offset += take
            if offset == op.length { index += 1; offset = 0 }
        }
        return batch
    }
}

extension VersionVector {
    /// Units in `self` that `other` lacks: Σ max(0, self[r] − other[r]). O(replicas).
    func unitsAhead(of other: VersionVector) -> Int {
        counts.reduce(0) { $0 + Int($1.value > other[$1.key] ? $1.value - other[$1.key] : 0) }
    }

    /// Raises the entry of `op.replica` to cover `op` (the sender of `op` has every earlier unit too).
    mutating func cover(_ op: Operation) {
        if self[op.replica] < op.seqEnd { self[op.replica] = op.seqEnd }
    }
}
