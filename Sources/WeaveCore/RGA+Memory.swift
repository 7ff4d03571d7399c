/// What a replica holds in memory, counted from its own arrays.
///
/// Every Swift array with storage is one heap allocation: a 32-byte header, then
/// `capacity` elements. The allocator adds its own header and rounds up; the
/// count below models glibc's malloc (8 bytes of header, 16-byte granules, at
/// least 32 bytes), which is what the benchmarks run on. The shared empty array
/// costs nothing. Dictionaries are counted as their buckets (keys, values and a
/// bitmap) plus a header.
///
/// The parts count what is in use: each allocation as if it held `count`
/// elements. An array grows by doubling, and the capacity not yet used is counted
/// apart in `spare`: it is allocated, but the kernel gives it pages only when
/// written, so `live` is what a replica adds to resident memory and `total` what
/// it has allocated.
public struct MemoryUsage: Sendable, Equatable, Codable {
    /// The span tree: spans, leaf and inner-node arrays.
    public var tree = 0
    /// The per-replica element tables (pages of runs) and extra deleters.
    public var elements = 0
    /// The operation log and each replica's index into it.
    public var history = 0
    /// Operations waiting in the causal buffer, with their payloads.
    public var pending = 0
    /// Replica records and the replica index.
    public var replicas = 0
    /// Capacity allocated beyond every array's count, over all the parts.
    public var spare = 0

    public init() {}

    /// The parts in use (resident once written). O(1).
    public var live: Int { tree + elements + history + pending + replicas }
    /// Everything allocated: `live` and `spare`. O(1).
    public var total: Int { live + spare }

    /// Adds another replica's usage, field by field.
    public static func + (a: MemoryUsage, b: MemoryUsage) -> MemoryUsage {
        var s = a
        s.tree += b.tree; s.elements += b.elements; s.history += b.history
        s.pending += b.pending; s.replicas += b.replicas; s.spare += b.spare
        return s
    }

    /// Bytes malloc gives a request of `n` bytes (glibc, 64-bit). O(1).
    @inline(__always)
    static func allocation(_ n: Int) -> Int { max(32, (n + 8 + 15) & ~15) }

    /// Bytes the storage of `a` takes on the heap (0 for the empty singleton). O(1).
    @inline(__always)
    static func heap<T>(_ a: [T]) -> Int {
        a.capacity == 0 ? 0 : allocation(32 + a.capacity * MemoryLayout<T>.stride)
    }

    /// Adds the storage of `a` to `part` as far as it is used, and the rest to `spare`. O(1).
    @inline(__always)
    mutating func add<T>(_ a: [T], to part: WritableKeyPath<MemoryUsage, Int>) {
        guard a.capacity > 0 else { return }
        let all = MemoryUsage.allocation(32 + a.capacity * MemoryLayout<T>.stride)
        let used = min(all, MemoryUsage.allocation(32 + a.count * MemoryLayout<T>.stride))
        self[keyPath: part] += used
        spare += all - used
    }

    /// Adds a byte buffer of `capacity` bytes, `used` of them in use (a
    /// `ScalarArray`'s storage), as `add` does an array. O(1).
    mutating func addBytes(used: Int, capacity: Int, to part: WritableKeyPath<MemoryUsage, Int>) {
        guard capacity > 0 else { return }
        let all = MemoryUsage.allocation(32 + capacity)
        let inUse = min(all, MemoryUsage.allocation(32 + used))
        self[keyPath: part] += inUse
        spare += all - inUse
    }

    /// Bytes the storage of `d` takes, values' own storage excluded. O(1).
    static func heap<K, V>(_ d: [K: V]) -> Int {
        guard d.capacity > 0 else { return 0 }
        var buckets = 1
        while buckets * 3 < d.capacity * 4 { buckets <<= 1 }
        return allocation(64 + buckets * (MemoryLayout<K>.stride + MemoryLayout<V>.stride) + buckets / 8)
    }

    /// Bytes of an operation's payload storage (its scalars or runs). O(1).
    static func payload(_ op: Operation) -> Int {
        switch op.body {
        case .insert(_, let text): return heap(text)
        case .delete(let runs): return heap(runs)
        }
    }
}

extension RGA {
    /// Bytes held by this replica's arrays, by part, counted as `MemoryUsage`
    /// describes. O(replicas + pages + pending + extra deleters).
    public var memoryUsage: MemoryUsage {
        var m = MemoryUsage()
        m.add(spans, to: \.tree)
        for a in [leafLen, leafParent, leafNext, leafPrev, leafSlot, leafPending, dirtyLeaves, nodeChildren, nodeCounts, nodeLen, nodeParent, nodeSlot] {
            m.add(a, to: \.tree)
        }
        m.add(nodeBottom, to: \.tree)
        m.add(groups, to: \.tree)
        m.add(replicas, to: \.replicas)
        m.replicas += replicaIndex.heapBytes
        for r in replicas {
            m.add(r.elements.pages, to: \.elements)
            for p in r.elements.pages { m.add(p, to: \.elements) }
            m.add(r.logIndexes, to: \.history)
        }
        log.addHeap(to: &m)
        pending.addHeap(to: &m)
        return m
    }

    /// `memoryUsage.total`: bytes this replica's arrays have allocated, history included.
    public var estimatedMemoryBytes: Int { memoryUsage.total }
}
