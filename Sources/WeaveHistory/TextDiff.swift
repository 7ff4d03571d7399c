/// A minimal difference between two texts, as `weave diff` prints it:
/// lines first, then characters inside each changed stretch of lines.
///
/// A comparison of two versions compares their texts, never the edits between
/// them: a cut and its undo change nothing, so they show nothing (issue 28,
/// defect 8: the old comparison walked the elements and showed a re-inserted
/// copy of an unchanged line as deleted and inserted).
///
/// The algorithm is Myers' O((N+M)·D) greedy shortest edit script ("An O(ND)
/// Difference Algorithm and Its Variations", 1986), run on lines (each line
/// one token), then on the Unicode scalars of each changed stretch. Common
/// prefix and suffix are cut first. Each run is bounded: past `maxLineEdits`
/// line edits, or `maxCharacterEdits` inside a stretch, that stretch is shown
/// whole as deleted then inserted (correct, only not minimal), and so is a
/// changed stretch of over `maxCharacterStretch` scalars, so a diff of two
/// unrelated large texts stays fast. Memory: O(D²) integers per run.
///
/// Laws (checked by the tests): joining the `.same` and `.deleted` pieces
/// gives the old text; joining `.same` and `.inserted` gives the new one; equal
/// texts give one `.same` piece (or none when empty); no two neighbouring
/// pieces are of one kind.
public enum TextDiff {
    public static let maxLineEdits = 2_000
    public static let maxCharacterEdits = 1_000
    /// A changed stretch of more scalars than this (both sides together) is
    /// shown whole, not compared character by character: O((N+M)·D) on a
    /// long stretch grows with the document, and the lines already say where.
    public static let maxCharacterStretch = 20_000

    public static func pieces(from old: String, to new: String) -> [Timeline.Piece] {
        var out = Builder()
        let a = lines(old), b = lines(new)
        var ids: [Substring: Int] = [:]
        func id(_ s: Substring) -> Int {
            if let i = ids[s] { return i }
            let i = ids.count
            ids[s] = i
            return i
        }
        let ta = a.map(id), tb = b.map(id)
        let steps = script(ta, tb, maxEdits: maxLineEdits)
        var i = 0, j = 0
        var gone: [Substring] = [], came: [Substring] = []
        func flushStretch() {
            guard !gone.isEmpty || !came.isEmpty else { return }
            characters(gone.joined(), came.joined(), into: &out)
            gone = []
            came = []
        }
        for step in steps {
            switch step {
            case .same:
                flushStretch()
                out.add(.same, String(a[i]))
                i += 1
                j += 1
            case .delete:
                gone.append(a[i])
                i += 1
            case .insert:
                came.append(b[j])
                j += 1
            }
        }
        flushStretch()
        return out.finished
    }

    /// The lines of `text`, each with its line feed (the last may lack one).
    static func lines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var start = text.startIndex
        var i = text.startIndex
        let scalars = text.unicodeScalars
        while i < text.endIndex {
            let next = scalars.index(after: i)
            if scalars[i] == "\n" {
                out.append(text[start ..< next])
                start = next
            }
            i = next
        }
        if start < text.endIndex { out.append(text[start...]) }
        return out
    }

    /// A changed stretch of lines: its characters compared, within bounds.
    static func characters(_ old: String, _ new: String, into out: inout Builder) {
        let a = Array(old.unicodeScalars), b = Array(new.unicodeScalars)
        if a.count + b.count > maxCharacterStretch {
            for x in a { out.add(.deleted, x) }
            for y in b { out.add(.inserted, y) }
            return
        }
        let steps = script(a.map { Int($0.value) }, b.map { Int($0.value) }, maxEdits: maxCharacterEdits)
        var i = 0, j = 0
        for step in steps {
            switch step {
            case .same: out.add(.same, a[i]); i += 1; j += 1
            case .delete: out.add(.deleted, a[i]); i += 1
            case .insert: out.add(.inserted, b[j]); j += 1
            }
        }
    }

    enum Step { case same, delete, insert }

    /// The shortest edit script from `a` to `b` (deletes before inserts at each
    /// change), or, past `maxEdits`, the common prefix and suffix kept and
    /// everything between deleted then inserted.
    static func script(_ a: [Int], _ b: [Int], maxEdits: Int) -> [Step] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let ma = Array(a[prefix ..< a.count - suffix]), mb = Array(b[prefix ..< b.count - suffix])
        var steps = [Step](repeating: .same, count: prefix)
        if let middle = myers(ma, mb, maxEdits: maxEdits) {
            steps += middle
        } else {
            steps += [Step](repeating: .delete, count: ma.count) + [Step](repeating: .insert, count: mb.count)
        }
        steps += [Step](repeating: .same, count: suffix)
        return steps
    }

    /// Myers' greedy algorithm with the furthest-reaching paths of every
    /// round kept for the walk back. Nil when more than `maxEdits` are needed.
    static func myers(_ a: [Int], _ b: [Int], maxEdits: Int) -> [Step]? {
        let n = a.count, m = b.count
        if n == 0 { return [Step](repeating: .insert, count: m) }
        if m == 0 { return [Step](repeating: .delete, count: n) }
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []  // trace[d][k + d]: v before round d, for k in -d...d
        for d in 0 ... limit {
            trace.append(Array(v[(offset - d) ... (offset + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { return walkBack(trace, d: d, n: n, m: m) }
            }
        }
        return nil
    }

    private static func walkBack(_ trace: [[Int]], d last: Int, n: Int, m: Int) -> [Step] {
        var steps: [Step] = []
        var x = n, y = m
        var d = last
        while d > 0 {
            let prev = trace[d]
            func at(_ k: Int) -> Int { prev[k + d] }
            let k = x - y
            let down = k == -d || (k != d && at(k - 1) < at(k + 1))
            let pk = down ? k + 1 : k - 1
            let px = at(pk), py = px - pk
            while x > px + (down ? 0 : 1), y > py + (down ? 1 : 0) { steps.append(.same); x -= 1; y -= 1 }
            steps.append(down ? .insert : .delete)
            x = px
            y = py
            d -= 1
        }
        while x > 0, y > 0 { steps.append(.same); x -= 1; y -= 1 }
        return steps.reversed()
    }

    /// Gathers pieces, joining neighbours of one kind.
    struct Builder {
        enum Kind { case same, inserted, deleted }
        var pieces: [Timeline.Piece] = []
        private var kind = Kind.same
        private var text = String.UnicodeScalarView()

        mutating func add(_ k: Kind, _ s: String) {
            if k != kind { close(); kind = k }
            text.append(contentsOf: s.unicodeScalars)
        }

        mutating func add(_ k: Kind, _ s: Unicode.Scalar) {
            if k != kind { close(); kind = k }
            text.append(s)
        }

        private mutating func close() {
            guard !text.isEmpty else { return }
            let s = String(text)
            switch kind {
            case .same: pieces.append(.same(s))
            case .inserted: pieces.append(.inserted(s))
            case .deleted: pieces.append(.deleted(s))
            }
            text = String.UnicodeScalarView()
        }

        var finished: [Timeline.Piece] {
            mutating get { close(); return pieces }
        }
    }
}
