#if canImport(Glibc)
import Glibc
#endif
import WeaveCore

/// The one seeded generator every randomised test uses (WeaveCore's
/// SplitMix64, with the helpers tests draw with), so a failing seed reproduces
/// exactly. Every failure message prints the seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var source: SplitMix64
    public var state: UInt64 { source.state }
    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed; source = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { source.next() }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0 ..< 1, using: &self) < p }
    public mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &self) }
    public mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    /// `n` scalars drawn from `TestText.alphabet`.
    public mutating func text(_ n: Int) -> [Unicode.Scalar] {
        (0 ..< n).map { _ in TestText.alphabet[int(0 ..< TestText.alphabet.count)] }
    }
}

public enum TestText {
    /// Text to type: ASCII, a newline, accents, CJK, an emoji above U+FFFF and a combining mark.
    public static let alphabet: [Unicode.Scalar] = Array("abcdefgh xyz\né日本語🙂".unicodeScalars) + [Unicode.Scalar(0x301)!]
}

public enum TestSeed {
    /// `fixed`, unless `$WEAVE_SEED` names another (a whole number): the
    /// randomised tests run fixed seeds in CI and any seed on demand.
    public static func pick(_ fixed: UInt64) -> UInt64 {
        if let v = getenv("WEAVE_SEED"), let s = UInt64(String(cString: v)) { return s }
        return fixed
    }

    /// Whether `$name` is set to something other than "" or "0" (opt-in sweeps).
    public static func enabled(_ name: String) -> Bool {
        guard let v = getenv(name) else { return false }
        let s = String(cString: v)
        return !s.isEmpty && s != "0"
    }
}
