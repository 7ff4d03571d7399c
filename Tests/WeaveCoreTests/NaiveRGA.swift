import WeaveCore

/// A deliberately naive RGA, the oracle for the real one: a flat array of
/// elements, a linear search for every reference, RGA's skip rule applied one
/// scalar at a time. Obviously right, O(n) per scalar.
///
/// It shares nothing with WeaveCore but the operation's fields: its own order
/// of element IDs (`isNewer`), its own unit counting for operations that
/// arrive partly seen, its own walk of deleted runs.
struct NaiveRGA {
    struct Element {
        var id: ElementID
        var scalar: Unicode.Scalar
        var deleted = false
    }
    var elements: [Element] = []
    var seen: [ReplicaID: UInt32] = [:]

    /// Applies `op`, which must be causally ready; units already seen are skipped.
    mutating func apply(_ op: Operation) {
        let have = Int(seen[op.replica] ?? 0)
        let first = Int(op.seq), units = op.length
        if first + units <= have { return }
        precondition(first <= have, "naive oracle fed out of causal order")
        let skip = have - first  // units of this operation already applied
        switch op.body {
        case .insert(let after, let text):
            // Unit k creates element (counter + k) after unit k - 1's (the first after `after`).
            for (k, scalar) in text.enumerated() where k >= skip {
                let id = ElementID(counter: op.counter + UInt32(k), replica: op.replica)
                let reference = k == 0 ? after : ElementID(counter: op.counter + UInt32(k - 1), replica: op.replica)
                var i = 0
                if let reference {
                    i = elements.firstIndex { $0.id == reference }! + 1
                }
                // RGA's rule: skip the newer siblings (and what follows them).
                while i < elements.count && Self.isNewer(elements[i].id, than: id) { i += 1 }
                elements.insert(Element(id: id, scalar: scalar), at: i)
            }
        case .delete(let runs):
            var targets: [ElementID] = []
            for run in runs {
                for k in 0 ..< Int(run.length) {
                    let c = run.backward ? Int(run.start.counter) - k : Int(run.start.counter) + k
                    targets.append(ElementID(counter: UInt32(c), replica: run.start.replica))
                }
            }
            for target in targets.dropFirst(skip) {
                let i = elements.firstIndex { $0.id == target }!
                elements[i].deleted = true
            }
        }
        seen[op.replica] = UInt32(first + units)
    }

    /// The order of concurrent siblings: the higher Lamport counter first, then
    /// the higher replica ID.
    static func isNewer(_ a: ElementID, than b: ElementID) -> Bool {
        a.counter != b.counter ? a.counter > b.counter : a.replica.rawValue > b.replica.rawValue
    }

    var text: String {
        String(String.UnicodeScalarView(elements.filter { !$0.deleted }.map(\.scalar)))
    }
}
