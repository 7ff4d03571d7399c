/// What one language's code looks like to the lexer: a table, so that one
/// lexer (Lexer.swift) serves every language but the markup ones (Markdown,
/// HTML, diff: Lexer+Markup.swift).
struct Rules: Sendable {
    typealias Scalars = [Unicode.Scalar]
    /// Line comment openers (`//`, `#`, `--`).
    var lineComments: [Scalars] = []
    /// A `#` comment starts only at the line's start or after a space or tab
    /// (shell: `a#b` is a word; YAML: `a#b` is a value).
    var hashNeedsSpace = false
    /// Block comment opener and closer, and whether they nest (Swift, Rust).
    var blockOpen: Scalars = []
    var blockClose: Scalars = []
    var nests = false
    /// Quotes of strings that end at the line's end when not closed.
    var quotes: [Unicode.Scalar] = []
    /// Delimiters of strings that may span lines (`"""`, backticks), longest
    /// first; the same delimiter closes. Index = `LexState.which`.
    var longStrings: [Scalars] = []
    /// Quotes inside which a backslash escapes nothing (shell and TOML `'…'`).
    var rawQuotes: Set<Unicode.Scalar> = []
    var keywords: Set<String> = []
    var types: Set<String> = []
    /// Any identifier starting with a capital letter is a type (Swift, Java…).
    var capitalisedTypes = false
    /// `@name` is an attribute (Swift, Java, Python decorators, CSS at-rules).
    var atMeta = false
    /// `#name` is a directive (`#include`, `#if`, `#available`).
    var hashMeta = false
    /// `$name`, `${…}`, `$(…)` are variables (shell, Makefile).
    var dollarMeta = false
    /// Rust: `'a'` and `'\n'` are characters, `'a` a lifetime.
    var rustChars = false
    /// A bare word or a string right before `:` is a key (JSON, YAML); in
    /// YAML only at the start of a line or after `- `.
    var keyBeforeColon = false
    /// A bare word before `=` at the start of a line is a key (TOML, Makefile).
    var keyBeforeEquals = false
    /// `[table]` at a line's start is a header (TOML).
    var tableHeaders = false
    /// CSS: braces are counted (`LexState.depth`); `name:` inside them is a
    /// property, `.name`/`#name` outside a selector, `#abc` inside a number.
    var css = false
    /// Makefile: `target:` at a line's start is a target.
    var targets = false

    static func words(_ s: String) -> Set<String> { Set(s.split(separator: " ").map(String.init)) }
    static let slash: [Scalars] = [Array("//".unicodeScalars)]
    static let hash: [Scalars] = [["#"]]
    static let cBlock = (Array("/*".unicodeScalars), Array("*/".unicodeScalars))

    static func cLike(_ keywords: String, types: String = "", capitalised: Bool = false) -> Rules {
        var r = Rules()
        r.lineComments = slash
        (r.blockOpen, r.blockClose) = cBlock
        r.quotes = ["\"", "'"]
        r.keywords = words(keywords)
        r.types = words(types)
        r.capitalisedTypes = capitalised
        return r
    }

    static func of(_ language: Language) -> Rules {
        switch language {
        case .swift:
            var r = cLike("""
                associatedtype class deinit enum extension fileprivate func import init inout internal let open \
                operator private precedencegroup protocol public rethrows static struct subscript typealias var \
                break case catch continue default defer do else fallthrough for guard if in repeat return throw \
                switch where while as await async false is nil self Self super throws true try actor nonisolated \
                isolated some any mutating nonmutating override final lazy weak unowned convenience required \
                dynamic indirect get set willSet didSet consuming borrowing sending macro package
                """, capitalised: true)
            r.quotes = ["\""]
            r.longStrings = [Array("\"\"\"".unicodeScalars)]
            r.nests = true
            r.atMeta = true
            r.hashMeta = true
            return r
        case .c, .cpp:
            var r = cLike("""
                auto break case const continue default do else enum extern for goto if inline register restrict \
                return sizeof static struct switch typedef union volatile while true false NULL nullptr class \
                namespace template typename public private protected virtual override new delete this using try \
                catch throw operator friend constexpr noexcept static_cast dynamic_cast reinterpret_cast \
                const_cast explicit mutable decltype concept requires co_await co_return co_yield final
                """, types: """
                char double float int long short signed unsigned void bool _Bool size_t ssize_t int8_t int16_t \
                int32_t int64_t uint8_t uint16_t uint32_t uint64_t wchar_t FILE std string vector
                """)
            r.hashMeta = true
            return r
        case .python:
            var r = Rules()
            r.lineComments = hash
            r.quotes = ["\"", "'"]
            r.longStrings = [Array("\"\"\"".unicodeScalars), Array("'''".unicodeScalars)]
            r.keywords = words("""
                False None True and as assert async await break class continue def del elif else except finally \
                for from global if import in is lambda nonlocal not or pass raise return try while with yield \
                match case self cls
                """)
            r.types = words("int str float bool list dict set tuple bytes object type complex frozenset bytearray")
            r.capitalisedTypes = true
            r.atMeta = true
            return r
        case .javascript, .typescript:
            var r = cLike("""
                break case catch class const continue debugger default delete do else export extends finally for \
                function if import in instanceof let new return super switch this throw try typeof var void while \
                with yield async await of static get set true false null undefined interface type enum implements \
                private public protected readonly declare namespace abstract as from keyof infer is satisfies
                """, types: "number string boolean any unknown never object symbol bigint", capitalised: true)
            r.longStrings = [["`"]]
            r.atMeta = true
            return r
        case .go:
            var r = cLike("""
                break case chan const continue default defer else fallthrough for func go goto if import interface \
                map package range return select struct switch type var true false nil iota
                """, types: """
                bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint \
                uint8 uint16 uint32 uint64 uintptr any
                """)
            r.longStrings = [["`"]]
            return r
        case .rust:
            var r = cLike("""
                as async await break const continue crate dyn else enum extern false fn for if impl in let loop \
                match mod move mut pub ref return self Self static struct super trait true type unsafe use where \
                while macro_rules
                """, types: """
                i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str
                """, capitalised: true)
            r.quotes = []
            r.longStrings = [["\""]]
            r.nests = true
            r.rustChars = true
            r.hashMeta = true
            return r
        case .java:
            var r = cLike("""
                abstract assert break case catch class const continue default do else enum extends final finally \
                for goto if implements import instanceof interface native new package private protected public \
                return static strictfp super switch synchronized this throw throws transient try volatile while \
                var record sealed permits yield true false null
                """, types: "boolean byte char double float int long short void", capitalised: true)
            r.longStrings = [Array("\"\"\"".unicodeScalars)]
            r.atMeta = true
            return r
        case .shell:
            var r = Rules()
            r.lineComments = hash
            r.hashNeedsSpace = true
            r.longStrings = [["\""], ["'"]]
            r.rawQuotes = ["'"]
            r.keywords = words("""
                if then else elif fi case esac for while until do done in function return exit local export \
                readonly declare set unset shift break continue source alias select time trap eval exec
                """)
            r.dollarMeta = true
            return r
        case .makefile:
            var r = Rules()
            r.lineComments = hash
            r.quotes = ["\"", "'"]
            r.keywords = words("ifeq ifneq ifdef ifndef else endif include -include define endef export unexport override vpath")
            r.dollarMeta = true
            r.keyBeforeEquals = true
            r.targets = true
            return r
        case .json:
            var r = Rules()
            r.lineComments = slash
            (r.blockOpen, r.blockClose) = cBlock
            r.quotes = ["\""]
            r.keywords = words("true false null")
            r.keyBeforeColon = true
            return r
        case .yaml:
            var r = Rules()
            r.lineComments = hash
            r.hashNeedsSpace = true
            r.quotes = ["\"", "'"]
            r.rawQuotes = ["'"]
            r.keywords = words("true false null yes no on off True False Null Yes No On Off TRUE FALSE NULL ~")
            r.keyBeforeColon = true
            return r
        case .toml:
            var r = Rules()
            r.lineComments = hash
            r.quotes = ["\"", "'"]
            r.longStrings = [Array("\"\"\"".unicodeScalars), Array("'''".unicodeScalars)]
            r.rawQuotes = ["'"]
            r.keywords = words("true false inf nan")
            r.keyBeforeEquals = true
            r.tableHeaders = true
            return r
        case .css:
            var r = Rules()
            (r.blockOpen, r.blockClose) = cBlock
            r.quotes = ["\"", "'"]
            r.keywords = words("important inherit initial unset none auto")
            r.atMeta = true
            r.css = true
            return r
        case .markdown, .html, .diff:
            return Rules()  // lexed by Lexer+Markup.swift
        }
    }
}
