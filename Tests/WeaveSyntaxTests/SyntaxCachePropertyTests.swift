import Testing
#if canImport(Glibc)
import Glibc
#endif
import WeaveTestSupport
@testable import WeaveSyntax

/// The cache's law: after any sequence of edits, lexing incrementally (only
/// what `prepare` re-lexes, stopping where a state matches) gives the same
/// start states and tokens as lexing the edited text from scratch.
///
/// Random texts are built from fragments that open and close every kind of
/// state (block comments, nested ones, multi-line strings, fences, open tags),
/// then edited at random: typing, deleting across lines, pasting fragments,
/// with `prepare` called after some edits on a random "screen" (a prefix of
/// the lines), and the tokens of a random run of lines kept (`keepTokens`),
/// like the editor does. Seeded; every failure prints its seed.
/// `WEAVE_SEED` picks another base seed; `WEAVE_SYNTAX_SWEEP=N` runs N more.
struct SyntaxCachePropertyTests {
    static let fragments: [String] = [
        "/*", "*/", "\"\"\"", "\"", "'", "'''", "`", "```", "~~~", "<!--", "-->", "<a ", ">", "//", "#", "\n", "\n",
        "\n", "x", " ", "let ", "{", "}", "1.5", "\\", "$(", ")", "- k: v", "[t]", "@@", "+", "-", "é", "日",
    ]

    @Test(arguments: Language.allCases)
    func incrementalEqualsFromScratch(language: Language) throws {
        let base = TestSeed.pick(0x5EED_5000)
        let extra = Int(String(cString: getenv("WEAVE_SYNTAX_SWEEP") ?? strdup("")!)) ?? 0
        for i in 0 ..< 150 + extra {
            let seed = base &+ UInt64(i) &+ UInt64(Language.allCases.firstIndex(of: language)! * 100_000)
            try check(language, seed: seed)
        }
    }

    func randomText(_ rng: inout SeededRandom, _ n: Int) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        for _ in 0 ..< n { out += Self.fragments[rng.int(0 ..< Self.fragments.count)].unicodeScalars }
        return out
    }

    func check(_ language: Language, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var text = randomText(&rng, rng.int(0 ... 60))
        var cache = SyntaxCache(language: language, lineCount: lines(text).count)
        let lexer = Lexer(language)
        for step in 0 ..< 40 {
            // An edit: replace a random range with random fragments.
            let p = rng.int(0 ... text.count)
            let removed = rng.chance(0.5) ? 0 : rng.int(0 ... min(12, text.count - p))
            let inserted = rng.chance(0.3) ? [] : randomText(&rng, rng.int(1 ... 4))
            let lineStarts = starts(text)
            let line = lineStarts.lastIndex { $0 <= p }!
            let removedLines = text[p ..< p + removed].filter { $0 == "\n" }.count
            let addedLines = inserted.filter { $0 == "\n" }.count
            text.replaceSubrange(p ..< p + removed, with: inserted)
            cache.edited(line: line, removedLines: removedLines, addedLines: addedLines)
            let ls = lines(text)
            #expect(cache.lineCount == ls.count, "seed \(seed) step \(step): \(cache.lineCount) states for \(ls.count) lines")
            if rng.chance(0.5) {
                cache.prepare(through: rng.int(0 ..< ls.count)) { ls[$0] }
            }
            if rng.chance(0.4) {
                // The screen keeps its lines' tokens (reused while they stay right).
                let top = rng.int(0 ..< ls.count)
                cache.keepTokens(lines: top ..< top + rng.int(1 ... 8)) { ls[$0] }
            }
        }
        let ls = lines(text)
        cache.prepare(through: ls.count - 1) { ls[$0] }
        let whole = lexer.tokens(ofText: text)
        var state = LexState.initial
        for (i, l) in ls.enumerated() {
            guard cache.state(ofLine: i) == state else {
                Issue.record("seed \(seed) (\(language)): line \(i) starts in \(String(describing: cache.state(ofLine: i))), from scratch \(state); text \(String(String.UnicodeScalarView(text)).debugDescription)")
                return
            }
            #expect(cache.tokens(ofLine: i, l) == whole[i], "seed \(seed) (\(language)) line \(i)")
            var scratch: [Token] = []
            state = lexer.lex(l, from: state, into: &scratch)
        }
    }

    func starts(_ text: [Unicode.Scalar]) -> [Int] {
        [0] + text.indices.filter { text[$0] == "\n" }.map { $0 + 1 }
    }

    func lines(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        let s = starts(text)
        return s.indices.map { k in text[s[k] ..< (k + 1 < s.count ? s[k + 1] - 1 : text.count)] }
    }

    /// A keystroke in a long file re-lexes one line, not the file.
    @Test func aKeystrokeRelexesOnlyItsLine() {
        var text = Array(String(repeating: "let x = 1 // c\n", count: 2_000).unicodeScalars)
        var cache = SyntaxCache(language: .swift, lineCount: 2_001)
        let all = lines(text)
        cache.prepare(through: 2_000) { all[$0] }
        text.insert("y", at: 15 * 1000)
        let ls = lines(text)
        cache.edited(line: 1000, removedLines: 0, addedLines: 0)
        var lexed = 0
        cache.prepare(through: 2_000) { lexed += 1; return ls[$0] }
        #expect(lexed == 1)
        #expect(cache.isPrepared(through: 2_000))
    }
}
