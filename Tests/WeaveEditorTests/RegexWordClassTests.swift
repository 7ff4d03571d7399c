import Testing
@testable import WeaveEditor

/// `\w` in find and replace takes every letter, mark, decimal digit and `_`,
/// whatever follows it. Swift's `Regex` alone skips `_` and digits written
/// before some other scripts' letters ("_日"); the editor spells the class
/// out (`SearchQuery.spellingOutWordClass`). Found by EditorPropertyTests.
struct RegexWordClassTests {
    func starts(_ pattern: String, in text: String) throws -> [Int] {
        let q = try SearchQuery(Array(pattern.unicodeScalars), regex: true)
        let t = Array(text.unicodeScalars)
        var found: [Int] = []
        var from = 0
        while let m = q.first(in: t, from: from, before: Int.max) {
            found.append(m.range.lowerBound)
            from = max(m.range.upperBound, m.range.lowerBound + 1)
        }
        return found
    }

    @Test func wordTakesUnderscoreAndDigitsBeforeCJK() throws {
        #expect(try starts("\\w", in: "_日1本 a🙂_,") == [0, 1, 2, 3, 5, 7])
        #expect(try starts("[\\w]", in: "_日 1🙂") == [0, 1, 3])
        #expect(try starts("\\W", in: "_日 1🙂") == [2, 4])
        #expect(try starts("\\w+", in: "x_1日 é") == [0, 5])
    }

    @Test func quotedAndEscapedBackslashesStayAsTheyAre() {
        #expect(SearchQuery.spellingOutWordClass(Array("\\Q\\w\\E\\\\w".unicodeScalars)) == "\\Q\\w\\E\\\\w")
        #expect(SearchQuery.spellingOutWordClass(Array("a\\d\\.".unicodeScalars)) == "a\\d\\.")
    }
}
