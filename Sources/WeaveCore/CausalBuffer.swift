import HeapModule

/// Operations waiting for their causal predecessors, each filed under the one
/// thing it waits for, so that applying an operation looks only at those it may
/// release.
///
/// An operation waits either for an earlier unit of its author (`.seq`: the
/// author's version must reach the operation's seq) or for an element it names
/// (`.element`: the element's replica must have used that counter, after which
/// the element is here or never will be). Both only ever move forward, so once a
/// blocker is resolved it stays resolved: each wake-up settles one blocker of
/// one operation for good. Waiters are kept per replica in min-heaps by the seq
/// or counter they wait for.
///
/// Costs: `add` O(log w); `takeUnblocked` O(k log w) for the k operations it
/// returns (w waiting in all). Delivering n operations in the worst order (newest
/// first) is O(n log n) in all, where scanning the whole buffer after every
/// applied operation was O(n²).
struct CausalBuffer: Sendable {
    /// What an operation waits for.
    enum Blocker: Sendable, Equatable {
        /// Unit `seq` of `replica` must be the next it needs (its version reaches `seq`).
        case seq(ReplicaID, UInt32)
        /// Element `id`'s replica must have used its counter.
        case element(ElementID)
    }

    /// A waiting operation's place: its slot, under the seq or counter it waits for.
    struct Waiter: Comparable, Sendable {
        var key: UInt32
        var slot: Int32
        static func < (a: Waiter, b: Waiter) -> Bool { (a.key, a.slot) < (b.key, b.slot) }
    }

    /// Waiting operations by slot (nil: a free slot, listed in `free`).
    private var slots: [Operation?] = []
    private var free: [Int32] = []
    /// Number of operations waiting.
    private(set) var count = 0
    private var bySeq: [ReplicaID: Heap<Waiter>] = [:]
    private var byElement: [ReplicaID: Heap<Waiter>] = [:]

    init() {}

    /// Files `op` under `blocker`. O(log w).
    mutating func add(_ op: Operation, waitingFor blocker: Blocker) {
        let slot: Int32
        if let f = free.popLast() {
            slot = f
            slots[Int(f)] = op
        } else {
            slot = Int32(slots.count)
            slots.append(op)
        }
        count += 1
        switch blocker {
        case .seq(let r, let s): bySeq[r, default: Heap()].insert(Waiter(key: s, slot: slot))
        case .element(let id): byElement[id.replica, default: Heap()].insert(Waiter(key: id.counter, slot: slot))
        }
    }

    /// Takes out every operation whose blocker on `replica` is resolved now that
    /// its version is `seqEnd` and its counters have reached `counterEnd`
    /// (their blockers are not looked at again: the caller re-files those still
    /// waiting for something else). O(k log w).
    mutating func takeUnblocked(_ replica: ReplicaID, seqEnd: UInt32, counterEnd: UInt32) -> [Operation] {
        var out: [Operation] = []
        if var heap = bySeq.removeValue(forKey: replica) {
            while let top = heap.min, top.key <= seqEnd { out.append(take(heap.removeMin().slot)) }
            if !heap.isEmpty { bySeq[replica] = heap }
        }
        if var heap = byElement.removeValue(forKey: replica) {
            while let top = heap.min, top.key < counterEnd { out.append(take(heap.removeMin().slot)) }
            if !heap.isEmpty { byElement[replica] = heap }
        }
        if count == 0 { self = CausalBuffer() }  // an empty buffer holds no storage
        return out
    }

    private mutating func take(_ slot: Int32) -> Operation {
        let op = slots[Int(slot)]!
        slots[Int(slot)] = nil
        free.append(slot)
        count -= 1
        return op
    }

    /// Adds the buffer's storage to `usage.pending`: slots, payloads and heaps
    /// (whose capacity is not visible: counted at their size). O(slots + replicas).
    func addHeap(to usage: inout MemoryUsage) {
        usage.add(slots, to: \.pending)
        usage.add(free, to: \.pending)
        for case let op? in slots { usage.pending += MemoryUsage.payload(op) }
        for heaps in [bySeq, byElement] {
            usage.pending += MemoryUsage.heap(heaps)
            for (_, h) in heaps where !h.isEmpty {
                usage.pending += MemoryUsage.allocation(32 + h.count * MemoryLayout<Waiter>.stride)
            }
        }
    }
}
