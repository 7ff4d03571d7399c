/// SplitMix64: the one seeded generator the randomised tests use, so a failing
/// seed reproduces exactly.
struct SeededRandom: RandomNumberGenerator {
    private(set) var state: UInt64
    let seed: UInt64
    init(seed: UInt64) { self.seed = seed; state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0 ..< 1, using: &self) < p }
    mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
}

/// Text to type: ASCII, accents, CJK, an emoji above U+FFFF and a combining mark.
let alphabet: [Unicode.Scalar] = Array("abcdefgh xyz\né日本語🙂".unicodeScalars) + [Unicode.Scalar(0x301)!]

extension SeededRandom {
    mutating func text(_ n: Int) -> [Unicode.Scalar] { (0 ..< n).map { _ in alphabet[int(0 ..< alphabet.count)] } }
}
