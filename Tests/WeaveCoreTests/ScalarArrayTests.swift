import Testing
import WeaveTestSupport
@testable import WeaveCore

/// `ScalarArray` against the plain model, `[Unicode.Scalar]`: after every
/// change the same scalars, the narrowest width that has held them, and the
/// same text, UTF-8, newlines and slices.
struct ScalarArrayTests {
    /// Scalars of every width: ASCII (with newlines), Latin-1, the rest of
    /// the BMP (around the surrogates), and above U+FFFF.
    static func scalar(_ rng: inout SeededRandom, wide: Double) -> Unicode.Scalar {
        if !rng.chance(wide) { return rng.chance(0.1) ? "\n" : Unicode.Scalar(UInt8(rng.int(0x20 ... 0x7e))) }
        switch rng.int(0 ..< 5) {
        case 0: return Unicode.Scalar(UInt8(rng.int(0x80 ... 0xff)))
        case 1: return Unicode.Scalar(UInt32(rng.int(0x100 ... 0xd7ff)))!
        case 2: return Unicode.Scalar(UInt32(rng.int(0xe000 ... 0xffff)))!
        case 3: return Unicode.Scalar(UInt32(rng.int(0x1_0000 ... 0x10_ffff)))!
        default: return TestText.alphabet[rng.int(0 ..< TestText.alphabet.count)]
        }
    }

    static func scalars(_ rng: inout SeededRandom, _ n: Int, wide: Double) -> [Unicode.Scalar] {
        (0 ..< n).map { _ in scalar(&rng, wide: wide) }
    }

    static func width(_ a: [Unicode.Scalar]) -> Int {
        let m = a.reduce(UInt32(0)) { $0 | $1.value }
        return m < 0x100 ? 1 : m < 0x1_0000 ? 2 : 4
    }

    /// Everything `a` says about itself equals what the model says.
    static func check(_ a: ScalarArray, _ model: [Unicode.Scalar], widest: Int, _ context: String) {
        #expect(a.count == model.count, "\(context): count")
        #expect(Array(a) == model, "\(context): scalars")
        #expect(a == model, "\(context): ==")
        #expect(a == ScalarArray(model), "\(context): == at the narrowest width")
        #expect(a.hashValue == ScalarArray(model).hashValue, "\(context): hash")
        #expect(a.width == widest, "\(context): width \(a.width), expected \(widest) (the widest ever held)")
        let text = String(String.UnicodeScalarView(model))
        #expect(a.string == text, "\(context): string")
        #expect(a.utf8Bytes(a.indices) == Array(text.utf8), "\(context): UTF-8")
        #expect(a.utf8Count(a.indices) == text.utf8.count, "\(context): UTF-8 count")
        var newlines: [Int] = []
        a.forEachNewline { newlines.append($0) }
        #expect(newlines == model.indices.filter { model[$0] == "\n" }, "\(context): newlines")
        if !model.isEmpty {
            var rng = SeededRandom(seed: UInt64(model.count))
            let lo = rng.int(0 ... model.count), hi = rng.int(lo ... model.count)
            #expect(a.array(lo ..< hi) == Array(model[lo ..< hi]), "\(context): array(\(lo)..<\(hi))")
            #expect(Array(a[lo ..< hi]) == Array(model[lo ..< hi]), "\(context): slice")
            #expect(a[lo == model.count ? lo - 1 : lo] == model[lo == model.count ? lo - 1 : lo], "\(context): subscript")
        }
    }

    static func run(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        // Some seeds stay narrow for long, some go wide at once.
        let wide = [0.0, 0.001, 0.05, 0.5][Int(seed % 4)]
        var a = ScalarArray(), model: [Unicode.Scalar] = []
        var widest = 1
        var other = ScalarArray(scalars(&rng, 50, wide: wide))
        for step in 0 ..< 300 {
            let context = "seed \(seed) step \(step)"
            switch rng.int(0 ..< 8) {
            case 0:
                let u = scalar(&rng, wide: wide)
                a.append(u); model.append(u)
                widest = max(widest, width([u]))
            case 1:
                let s = scalars(&rng, rng.int(0 ... 20), wide: wide)
                a.append(contentsOf: s); model.append(contentsOf: s)
                widest = max(widest, width(s))
            case 2:
                let lo = rng.int(0 ... other.count), hi = rng.int(lo ... other.count)
                a.append(contentsOf: other, lo ..< hi); model.append(contentsOf: Array(other)[lo ..< hi])
                widest = max(widest, width(Array(Array(other)[lo ..< hi])))
            case 3, 4:
                let lo = rng.int(0 ... model.count), hi = rng.int(lo ... min(model.count, lo + 10))
                let s = scalars(&rng, rng.int(0 ... 5), wide: wide)
                a.replaceSubrange(lo ..< hi, with: s); model.replaceSubrange(lo ..< hi, with: s)
                widest = max(widest, width(s))
            case 5:
                let bytes = Array(String(String.UnicodeScalarView(scalars(&rng, rng.int(0 ... 30), wide: wide))).utf8)
                let decoded = try! ScalarArray.decoding(utf8: bytes)
                #expect(decoded.width == width(Array(decoded)), "\(context): decoding's width")
                #expect(decoded.string == String(decoding: bytes, as: UTF8.self), "\(context): decoding")
                a.append(contentsOf: decoded); model.append(contentsOf: Array(decoded))
                widest = max(widest, width(Array(decoded)))
            case 6 where rng.chance(0.05):
                a.removeAll(); model.removeAll()
                widest = 1
            default:
                other = ScalarArray(scalars(&rng, rng.int(0 ... 40), wide: wide))
            }
            check(a, model, widest: widest, context)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func behavesAsAnArrayOfScalars(seed: UInt64) {
        Self.run(seed: TestSeed.pick(seed))
    }

    /// ASCII bytes become the array as they are: no copy.
    @Test func asciiIsSharedNotCopied() throws {
        let bytes = Array("hello\nworld\n".utf8)
        let a = try ScalarArray.decoding(utf8: bytes)
        let same = a.withUnsafeValues(a.indices) { raw, _ in bytes.withUnsafeBytes { $0.baseAddress == raw.baseAddress } }
        #expect(same)
        #expect(a.width == 1 && a.string == "hello\nworld\n")
    }

    /// The checker refuses what the old one (`ByteReader.utf8`, one scalar at
    /// a time) refused, at the offset where the bad scalar starts; seeded
    /// random bytes with mostly valid text around them.
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func validationAgreesWithTheByteReader(seed: UInt64) {
        var rng = SeededRandom(seed: TestSeed.pick(seed))
        for round in 0 ..< 400 {
            var bytes = Array(String(String.UnicodeScalarView(Self.scalars(&rng, rng.int(0 ... 20), wide: 0.3))).utf8)
            for _ in 0 ..< rng.int(0 ... 2) where !bytes.isEmpty {
                switch rng.int(0 ..< 3) {
                case 0: bytes[rng.int(0 ..< bytes.count)] = UInt8(rng.int(0x80 ... 0xff))
                case 1: bytes.removeLast(rng.int(1 ... min(3, bytes.count)))
                default: bytes.insert(contentsOf: [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80]][rng.int(0 ..< 4)], at: rng.int(0 ... bytes.count))
                }
            }
            var reference: Int?
            var r = ByteReader(bytes)
            while !r.isAtEnd {
                let at = r.offset
                do { _ = try r.utf8(count: 1, "text") } catch { reference = at; break }
            }
            var found: Int?
            do { try ScalarArray.validateUTF8(bytes) } catch {
                if case .invalidUTF8(let o) = error { found = o } else { found = -1 }
            }
            #expect(found == reference, "seed \(rng.seed) round \(round): \(bytes) refused at \(String(describing: found)), expected \(String(describing: reference))")
            if reference == nil {
                #expect((try? ScalarArray.decoding(utf8: bytes))?.string == String(decoding: bytes, as: UTF8.self), "seed \(rng.seed) round \(round)")
            }
        }
    }
}
