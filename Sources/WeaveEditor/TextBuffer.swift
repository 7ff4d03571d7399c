import WeaveCore
import WeaveSyntax

/// The editor's view of the document text: its scalars and where each line
/// starts, kept in sync by applying `TextEdit`s (local and remote) instead of
/// re-reading the RGA.
///
/// Invariant (`checkInvariants`): `lineStarts[0] == 0` and `lineStarts` holds,
/// in order, 0 and every index just after a `"\n"` in `scalars`.
public struct TextBuffer: Sendable, Equatable {
    /// The visible text, 1, 2 or 4 bytes a scalar (`ScalarArray`): a file's
    /// text as the document holds it, shared with it until either changes.
    public private(set) var scalars: ScalarArray
    /// The index where each line starts; never empty.
    public private(set) var lineStarts: [Int]
    /// The lexer states of the lines, for colouring (nil: plain text). Told
    /// every edit by `apply`, so it never falls out of step with the lines;
    /// not part of the value (`==` ignores it). See Editor+Syntax.swift.
    var syntax: SyntaxCache?

    /// A buffer holding `scalars`. O(n).
    public init(_ scalars: [Unicode.Scalar] = []) { self.init(ScalarArray(scalars)) }

    /// A buffer holding `scalars` (sharing their storage). O(n).
    public init(_ scalars: ScalarArray) {
        self.scalars = scalars
        lineStarts = [0]
        scalars.forEachNewline { lineStarts.append($0 + 1) }
    }

    public var count: Int { scalars.count }
    public var lineCount: Int { lineStarts.count }
    public var text: String { scalars.string }

    /// Applies one edit. Precondition: its range lies within the text.
    /// O(n) for the scalar move plus O(lines) for the line index shift.
    public mutating func apply(_ edit: TextEdit) {
        let p = edit.position, end = p + edit.removed
        precondition(p >= 0 && end <= scalars.count, "edit \(edit) outside 0...\(scalars.count)")
        scalars.replaceSubrange(p ..< end, with: edit.inserted)
        // Starts in (p, end] belonged to removed newlines; starts after end shift.
        let lo = firstStart(after: p), hi = firstStart(after: end)
        var added: [Int] = []
        for (k, s) in edit.inserted.enumerated() where s == "\n" { added.append(p + k + 1) }
        syntax?.edited(line: lo - 1, removedLines: hi - lo, addedLines: added.count)
        lineStarts.replaceSubrange(lo ..< hi, with: added)
        let delta = edit.inserted.count - edit.removed
        if delta != 0 {
            for i in (lo + added.count) ..< lineStarts.count { lineStarts[i] += delta }
        }
    }

    /// Index into `lineStarts` of the first start greater than `pos`. O(log lines).
    func firstStart(after pos: Int) -> Int {
        var lo = 0, hi = lineStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lineStarts[mid] <= pos { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The line holding index `pos` (0...count). O(log lines).
    public func line(of pos: Int) -> Int { firstStart(after: pos) - 1 }

    /// The scalar range of line `i`, without its newline. O(1).
    public func lineRange(_ i: Int) -> Range<Int> {
        let start = lineStarts[i]
        let end = i + 1 < lineStarts.count ? lineStarts[i + 1] - 1 : scalars.count
        return start ..< end
    }

    /// The scalars of line `i`, without its newline. O(its length).
    public func lineScalars(_ i: Int) -> ArraySlice<Unicode.Scalar> { ArraySlice(scalars.array(lineRange(i))) }

    /// Lexes the lines up to `line` that colouring needs (see `SyntaxCache`).
    mutating func prepareSyntax(through line: Int) {
        guard var cache = syntax, !cache.isPrepared(through: line) else { return }
        syntax = nil  // so that the cache is not copied while it changes
        cache.prepare(through: line) { self.lineScalars($0) }
        syntax = cache
    }

    /// Equal texts are equal buffers, whatever their colouring caches hold.
    public static func == (a: TextBuffer, b: TextBuffer) -> Bool {
        a.scalars == b.scalars && a.lineStarts == b.lineStarts
    }

    /// Throws when the line index disagrees with the text. O(n).
    public func checkInvariants() throws {
        let fresh = TextBuffer(scalars)
        if fresh.lineStarts != lineStarts {
            throw EditorInvariantViolation(description: "line starts \(lineStarts) != \(fresh.lineStarts)")
        }
    }
}

/// A broken invariant of the editing model: a bug, never the user's doing.
public struct EditorInvariantViolation: Error, CustomStringConvertible {
    public var description: String
}
