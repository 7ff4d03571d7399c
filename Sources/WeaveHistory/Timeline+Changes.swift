import WeaveCore

/// Which elements each edit inserted and deleted, for the whole history at
/// once: what `weave log`, blame's neighbours and the bursts read, so that
/// listing every edit costs O(history) in all, not O(edits × elements).
///
/// Two compressed lists (one start offset per edit, then element indexes in
/// document order), built by counting sort in two passes over the timeline.
/// Memory: 8 bytes per element plus 8 per edit.
public struct ChangeIndex: Sendable {
    /// `insertedStart[k] ..< insertedStart[k + 1]` indexes `inserted` for edit k.
    let insertedStart: [Int32]
    let inserted: [Int32]
    let deletedStart: [Int32]
    let deleted: [Int32]

    /// Builds the index of `t`. O(elements + edits).
    public init(_ t: Timeline) {
        let edits = t.editCount
        func build(_ of: [Int32]) -> ([Int32], [Int32]) {
            var start = [Int32](repeating: 0, count: edits + 2)
            for e in of where e >= 0 && Int(e) < edits { start[Int(e) + 1] += 1 }
            for k in 0 ..< edits { start[k + 1] += start[k] }
            var fill = start
            var out = [Int32](repeating: 0, count: Int(start[edits]))
            for (i, e) in of.enumerated() where e >= 0 && Int(e) < edits {
                out[Int(fill[Int(e)])] = Int32(i)
                fill[Int(e)] += 1
            }
            return (start, out)
        }
        (insertedStart, inserted) = build(t.insertedIn)
        (deletedStart, deleted) = build(t.deletedIn)
    }

    /// Indexes (into the timeline's elements, in document order) of the
    /// elements edit `k` inserted. O(1).
    public func inserted(by k: Int) -> ArraySlice<Int32> { inserted[Int(insertedStart[k]) ..< Int(insertedStart[k + 1])] }

    /// Indexes of the elements edit `k` deleted first, in document order. O(1).
    public func deleted(by k: Int) -> ArraySlice<Int32> { deleted[Int(deletedStart[k]) ..< Int(deletedStart[k + 1])] }

}

extension Timeline {
    /// What the edits in `edits` changed, as a diff would show it: the text they
    /// inserted that was still there after them, and the text there before them
    /// that they deleted, each in document order (a burst of Backspaces reads as
    /// the word it removed, not reversed; a typo made and removed within the
    /// range is in neither). For one edit: exactly what it inserted and deleted.
    /// O(what they changed · log).
    public func change(of edits: Range<Int>, index: ChangeIndex) -> (inserted: String, deleted: String) {
        let lo = Int32(edits.lowerBound), hi = Int32(edits.upperBound)
        var ins: [Int32] = [], del: [Int32] = []
        for k in edits {
            for i in index.inserted(by: k) where deletedIn[Int(i)] >= hi { ins.append(i) }
            for i in index.deleted(by: k) where insertedIn[Int(i)] < lo { del.append(i) }
        }
        if edits.count > 1 { ins.sort(); del.sort() }
        func text(_ at: [Int32]) -> String {
            var s = String.UnicodeScalarView()
            for i in at { s.append(scalars[Int(i)]) }
            return String(s)
        }
        return (text(ins), text(del))
    }

    /// How far (in visible characters of the text at that moment) an edit may
    /// land from where the one before it left the cursor and still belong to
    /// the same burst: about a line.
    public static let burstReach = 100

    /// Bursts: runs of one author's consecutive edits with no pause longer
    /// than `gap` milliseconds and no jump to a distant place (more than
    /// `burstReach` characters from where the previous edit ended, measured in
    /// the text as it was then). A history without times (every edit at one
    /// instant, as imported traces) splits on author and place alone. What
    /// `weave log` lists and `[`/`]` jump between.
    ///
    /// Places come from replaying visibility in a Fenwick tree over the
    /// elements: O((elements + edits) log elements) given `index`.
    public func bursts(gap: Int64 = 60_000, index: ChangeIndex) -> [Range<Int>] {
        let edits = history.edits
        guard !edits.isEmpty else { return [] }
        let timed = edits.contains { $0.time != edits[0].time }
        var visible = FenwickTree(count: scalars.count)
        var out: [Range<Int>] = []
        var start = 0
        var lastEnd: Int?
        for k in 0 ..< edits.count {
            let ins = index.inserted(by: k), del = index.deleted(by: k)
            let first = Swift.min(ins.first ?? .max, del.first ?? .max)
            let place: Int? = first == .max ? nil : visible.prefixSum(Int(first))
            for i in del { visible.add(Int(i), -1) }
            for i in ins { visible.add(Int(i), 1) }
            if k > 0 {
                var split = edits[k].author != edits[start].author
                if !split, timed, edits[k].time - edits[k - 1].time > gap { split = true }
                if !split, let p = place, let e = lastEnd, abs(p - e) > Self.burstReach { split = true }
                if split {
                    out.append(start ..< k)
                    start = k
                }
            }
            if let p = place { lastEnd = p + ins.count }
        }
        out.append(start ..< edits.count)
        return out
    }

    /// `bursts(gap:index:)` with an index built for the purpose. O(elements + edits).
    public func bursts(gap: Int64 = 60_000) -> [Range<Int>] { bursts(gap: gap, index: ChangeIndex(self)) }
}

/// Milliseconds since 1970 UTC as `yyyy-MM-dd HH:mm:ss.SSS`, without Foundation
/// (the civil-from-days algorithm), so printing 259,778 lines costs nothing.
public func formatUTC(milliseconds ms: Int64) -> String {
    let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
    let inDay = ms - days * 86_400_000
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }
    let h = inDay / 3_600_000, mi = inDay / 60_000 % 60, s = inDay / 1000 % 60, f = inDay % 1000
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))"
}

/// Counts over positions with O(log n) update and prefix sum.
struct FenwickTree {
    private var tree: [Int32]

    init(count: Int) { tree = [Int32](repeating: 0, count: count + 1) }

    /// Adds `delta` at position `i`. O(log n).
    mutating func add(_ i: Int, _ delta: Int32) {
        var j = i + 1
        while j < tree.count {
            tree[j] += delta
            j += j & -j
        }
    }

    /// The sum over positions `0 ..< i`. O(log n).
    func prefixSum(_ i: Int) -> Int {
        var j = i, total = 0
        while j > 0 {
            total += Int(tree[j])
            j -= j & -j
        }
        return total
    }
}

/// Author names (most characters first) joined with commas within `width`
/// characters, as `weave blame` prints them: names that do not fit are
/// counted as "+N", never dropped silently ("alice,bob,+3"); a first name too
/// long on its own is cut with "…".
public func authorList(_ names: [String], width: Int) -> String {
    var shown = ""
    for (i, name) in names.enumerated() {
        let rest = names.count - i - 1
        let candidate = shown.isEmpty ? name : shown + "," + name
        let suffix = rest > 0 ? ",+\(rest)" : ""
        if candidate.count + suffix.count <= width {
            shown = candidate
            continue
        }
        if shown.isEmpty {
            // Not even the first name fits with what follows it.
            let more = rest > 0 ? ",+\(rest)" : ""
            let room = max(1, width - more.count - 1)
            return name.count + more.count <= width ? name + more : String(name.prefix(room)) + "…" + more
        }
        return shown + ",+\(names.count - i)"
    }
    return shown
}
