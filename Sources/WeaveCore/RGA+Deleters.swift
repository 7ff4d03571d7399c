/// Who deleted each element, rebuilt from the log when asked: the history
/// views (`text(at:)`, `forEachElement`) and the invariant check.
///
/// Edits and merges never record deleters. The log holds every delete in the
/// order this replica applied it, each run with its units in order, so
/// replaying those runs into a copy of the element tables gives every element
/// the same first deleter (and the same later ones) that recording them at
/// each delete gave; meanwhile the live tables are split only where elements
/// change leaf, and a received delete touches only the tree.
extension RGA {
    /// The element tables with each element's first deleter filled in, and the
    /// deleters after the first. O(runs in the tables + deleted runs in the log
    /// · runs in a page).
    struct DeleterIndex {
        /// By replica slot: `replicas[slot].elements` with deleters recorded.
        var tables: [ElementTable]
        /// Deleters beyond the first of an element (concurrent deletes of one element).
        var extra: [ElementKey: [UnitRef]] = [:]
    }

    /// Builds the deleter index from the log. See `DeleterIndex` for the cost.
    func deleterIndex() -> DeleterIndex {
        var index = DeleterIndex(tables: replicas.map(\.elements))
        // The log names replicas by its own slots.
        let slots = log.ids.map { slot(of: $0)! }
        var extra: [(counter: UInt32, seq: UInt32)] = []
        for e in log.entries where e.isDelete {
            let d = UInt32(slots[Int(e.replica)])
            var unit = e.seq
            for k in e.payload ..< e.payload + Int(e.refCounter) {
                let run = log.runs[k]
                let r = slots[Int(run.replica)]
                // The low counter's element was deleted by the run's first unit
                // going up, by its last going down.
                let low = run.backward ? run.counter &- (run.length &- 1) : run.counter
                let seq = run.backward ? unit &+ run.length &- 1 : unit
                extra.removeAll(keepingCapacity: true)
                index.tables[r].apply(.deleter(replica: d, lo: low, seq: seq, step: run.backward ? -1 : 1),
                                      low, low &+ run.length, extra: &extra)
                for (c, s) in extra {
                    index.extra[ElementKey(replica: UInt32(r), counter: c), default: []].append(UnitRef(replica: d, seq: s))
                }
                unit &+= run.length
            }
        }
        return index
    }
}
