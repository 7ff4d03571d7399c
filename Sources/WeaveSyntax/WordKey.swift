/// A word of at most 24 ASCII characters packed into three integers: what the
/// lexer looks keywords up by, so that an identifier costs no `String` (and no
/// allocation) to classify. Every keyword and type name of `Rules` is ASCII
/// and shorter; a longer or non-ASCII word has no key and is no keyword.
struct WordKey: Hashable, Sendable {
    private var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0

    /// The key of `word`, or nil when it is longer than 24 or not ASCII.
    /// O(word).
    init?<S: Sequence<Unicode.Scalar>>(_ word: S) {
        var k = 0
        for u in word {
            guard u.isASCII, u.value != 0, k < 24 else { return nil }
            let v = UInt64(u.value) << UInt64((k % 8) * 8)
            switch k / 8 {
            case 0: a |= v
            case 1: b |= v
            default: c |= v
            }
            k += 1
        }
    }

    /// The keys of `words` (every one must have a key: see the type's comment).
    static func keys(_ words: Set<String>) -> Set<WordKey> {
        let keys = Set(words.compactMap { WordKey($0.unicodeScalars) })
        assert(keys.count == words.count, "a keyword longer than 24 or not ASCII")
        return keys
    }
}
