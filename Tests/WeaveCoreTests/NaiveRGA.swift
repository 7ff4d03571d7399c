import WeaveCore

/// A deliberately naive RGA, the oracle for the real one: a flat array of
/// elements, a linear search for every reference, RGA's skip rule applied one
/// scalar at a time. Obviously right, O(n) per scalar.
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
        let have = seen[op.replica] ?? 0
        if op.seqEnd <= have { return }
        let op = op.seq < have ? op.slice(Int(have - op.seq), op.length) : op
        precondition(op.seq == have, "naive oracle fed out of causal order")
        switch op.body {
        case .insert(let after, let text):
            var reference = after
            for (k, scalar) in text.enumerated() {
                let id = ElementID(counter: op.counter + UInt32(k), replica: op.replica)
                var i = 0
                if let reference {
                    i = elements.firstIndex { $0.id == reference }! + 1
                }
                while i < elements.count && elements[i].id > id { i += 1 }
                elements.insert(Element(id: id, scalar: scalar), at: i)
                reference = id
            }
        case .delete(let runs):
            for run in runs {
                for k in 0 ..< run.length {
                    let target = run.element(k)
                    let i = elements.firstIndex { $0.id == target }!
                    elements[i].deleted = true
                }
            }
        }
        seen[op.replica] = op.seqEnd
    }

    var text: String {
        String(String.UnicodeScalarView(elements.filter { !$0.deleted }.map(\.scalar)))
    }
}
