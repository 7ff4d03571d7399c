/// Replica ID → small slot number: an open-addressing hash table with linear
/// probing and Fibonacci hashing of the 64-bit ID.
///
/// Every operation names replicas several times on its way in (its author,
/// its origin's, each deleted run's), and a document with many authors looks
/// each up in this table: Swift's `Dictionary` hashes with a seeded SipHash,
/// which cost a quarter of merging a 200-author history. IDs are random
/// 64-bit numbers (or small ones in traces), so one multiply spreads them.
///
/// Laws: `self[id]` is the slot last inserted for `id`, nil if none. The
/// table is at most half full. Costs: lookup and insert O(1) expected; growth
/// rehashes every entry (amortised O(1)).
struct ReplicaSlots: Sendable {
    private var keys: [UInt64] = []
    /// Slot per bucket; -1: empty.
    private var values: [Int32] = []
    private var shift: UInt64 = 64
    private(set) var count = 0

    init() {}

    @inline(__always)
    private func bucket(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot of `id`, or nil. O(1) expected.
    subscript(id: ReplicaID) -> Int? {
        guard count > 0 else { return nil }
        let mask = values.count - 1
        var b = bucket(id.rawValue)
        while true {
            let v = values[b]
            if v < 0 { return nil }
            if keys[b] == id.rawValue { return Int(v) }
            b = (b + 1) & mask
        }
    }

    /// Records `slot` for `id` (which must not be in the table yet).
    mutating func insert(_ id: ReplicaID, slot: Int) {
        if (count + 1) * 2 > values.count { grow() }
        let mask = values.count - 1
        var b = bucket(id.rawValue)
        while values[b] >= 0 { b = (b + 1) & mask }
        keys[b] = id.rawValue
        values[b] = Int32(slot)
        count += 1
    }

    private mutating func grow() {
        let old = zip(keys, values).filter { $0.1 >= 0 }
        let capacity = max(16, values.count * 2)
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: -1, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for (k, v) in old { insert(ReplicaID(k), slot: Int(v)) }
    }

    /// Bytes of its storage. O(1).
    var heapBytes: Int { MemoryUsage.heap(keys) + MemoryUsage.heap(values) }
}
