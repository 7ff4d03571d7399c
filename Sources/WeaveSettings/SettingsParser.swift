import TOMLKit
import WeaveEditor

/// settings.toml's text → the editor's `Settings`, where each value came from,
/// and the problems found, as sentences naming the file and the line. Pure.
///
/// The file (every key optional):
///
///     name = "Ada"              # the name edits are signed with
///     theme = "default"         # default, monochrome or none
///     tab_width = 4             # 1…16
///     spaces = true             # indent with spaces (files with no style of their own)
///     indent_width = 4          # 1…16
///     line_numbers = true
///     soft_wrap = false
///     mouse = false             # leave the mouse to the terminal
///     osc52 = true              # copies reach the terminal's clipboard
///     regex = true              # find starts in regex mode
///
///     [keys]                    # command = key, or a list of keys
///     save = "ctrl-w"
///     find = ["ctrl-f", "alt-f"]
///
/// Each problem is short enough for an 80-column message line when `file`
/// is short ("settings.toml"); the values shown are defaults.
///
/// Failure: an unknown key, a value of the wrong type or out of range, an
/// unknown command or key name, or a key given to two commands is one
/// problem each; that entry is ignored and the rest apply. A text that is not
/// TOML is one problem and gives the defaults. Cost: O(size of the text).
public enum SettingsParser {
    /// What parsing found.
    public struct Outcome: Sendable, Equatable {
        public var settings = Settings()
        /// The settings the file set (by their names in the file, "keys" for
        /// any binding).
        public var fromFile: Set<String> = []
        /// One sentence per problem, in the order of the file's lines.
        public var problems: [String] = []
        public init() {}
    }

    /// The settings a file may hold, by name.
    public static let names = ["name", "theme", "tab_width", "spaces", "indent_width", "line_numbers",
                               "soft_wrap", "mouse", "osc52", "regex", "keys"]

    /// Parses `text`; `file` names the file in the problems' sentences.
    public static func parse(_ text: String, file: String) -> Outcome {
        var out = Outcome()
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            out.problems.append("\(file) line \(error.source.begin.line) is not TOML (\(error.description)): "
                + "the default settings are used")
            return out
        } catch {
            out.problems.append("\(file) is not TOML (\(error)): the default settings are used")
            return out
        }
        let lines = KeyLines(text)
        var found: [(line: Int, problem: String)] = []
        func problem(_ key: String, section: String? = nil, _ what: String) {
            let line = lines.line(of: key, in: section)
            found.append((line ?? Int.max, "\(file)\(line.map { " line \($0)" } ?? ""): \(what)"))
        }
        // In the file's order, so that the first of two bindings of one key wins.
        for key in table.keys.sorted(by: { (lines.line(of: $0, in: nil) ?? .max) < (lines.line(of: $1, in: nil) ?? .max) }) {
            guard let value = table[key] else { continue }
            if read(key, value, into: &out.settings, problem: { problem(key, $0) }, bindingProblem: { problem($0, section: "keys", $1) }, lines: lines) {
                out.fromFile.insert(key)
            }
        }
        out.problems = found.sorted { $0.line < $1.line }.map(\.problem)
        return out
    }

    /// Reads one top-level entry; false (and a problem) when it was not used.
    private static func read(_ key: String, _ value: TOMLValueConvertible, into s: inout Settings,
                             problem: (String) -> Void, bindingProblem: (String, String) -> Void,
                             lines: KeyLines) -> Bool {
        func bool(_ apply: (Bool) -> Void) -> Bool {
            guard let b = value.bool else {
                problem("\(key) must be true or false, not \(shown(value))")
                return false
            }
            apply(b)
            return true
        }
        func width(_ apply: (Int) -> Void) -> Bool {
            guard let i = value.int, (1 ... 16).contains(i) else {
                problem("\(key) must be a whole number from 1 to 16, not \(shown(value))")
                return false
            }
            apply(i)
            return true
        }
        switch key {
        case "name":
            guard let n = value.string, let name = usableName(n) else {
                problem("name must be a name in quotes, not \(shown(value))")
                return false
            }
            s.name = name
            return true
        case "theme":
            guard let t = value.string.flatMap(Settings.Theme.init(rawValue:)) else {
                problem("theme must be default, monochrome or none, not \(shown(value))")
                return false
            }
            s.theme = t
            return true
        case "tab_width": return width { s.tabWidth = $0 }
        case "indent_width": return width { s.indentWidth = $0 }
        case "spaces": return bool { s.spaces = $0 }
        case "line_numbers": return bool { s.lineNumbers = $0 }
        case "soft_wrap": return bool { s.softWrap = $0 }
        case "mouse": return bool { s.mouse = $0 }
        case "osc52": return bool { s.osc52 = $0 }
        case "regex": return bool { s.regex = $0 }
        case "keys":
            guard let t = value.table else {
                problem("keys must be a [keys] table, not \(shown(value))")
                return false
            }
            var any = false
            let ordered = t.keys.sorted { (lines.line(of: $0, in: "keys") ?? .max) < (lines.line(of: $1, in: "keys") ?? .max) }
            for name in ordered {
                guard let v = t[name] else { continue }
                if bind(name, v, into: &s.keys, problem: { bindingProblem(name, $0) }) { any = true }
            }
            return any
        default:
            problem("\(key) is not a setting; it is ignored")
            return false
        }
    }

    /// Binds one `[keys]` entry; false (and a problem each) when nothing was bound.
    private static func bind(_ name: String, _ value: TOMLValueConvertible, into keys: inout KeyBindings,
                             problem: (String) -> Void) -> Bool {
        guard let command = EditorCommand(rawValue: name) else {
            problem("\(name) is not a command that keys can be bound to; it is ignored")
            return false
        }
        var names: [String] = []
        if let one = value.string {
            names = [one]
        } else if let list = value.array, list.allSatisfy({ $0.string != nil }), !list.isEmpty {
            names = list.map { $0.string! }
        } else {
            problem("the key of \(name) must be a key name in quotes (\"ctrl-w\") or a list of them, not \(shown(value)); it is ignored")
            return false
        }
        var bound = false
        for keyName in names {
            switch KeyName.parse(keyName) {
            case .failure(let why):
                problem("\(why), so \(name) gets no key from it")
            case .success(let key):
                if let other = keys.bind(key, to: command) {
                    problem("\(KeyName.display(key)) is bound to both \(other.name) and \(name); it stays \(other.name)")
                } else {
                    bound = true
                }
            }
        }
        return bound
    }

    /// A value as the user wrote it, roughly: strings in quotes.
    static func shown(_ value: TOMLValueConvertible) -> String {
        if let s = value.string { return "\"\(s)\"" }
        if let i = value.int { return String(i) }
        if let b = value.bool { return String(b) }
        if let d = value.double { return String(d) }
        switch value.type {
        case .table: return "a table"
        case .array: return "a list"
        default: return "a \(value.type)"
        }
    }

    /// `n` trimmed when it is a usable name (not empty, no control characters).
    static func usableName(_ n: String) -> String? {
        var s = Substring(n)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        guard !s.isEmpty, !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return nil }
        return String(s)
    }
}

/// Where each key is written in a TOML text: its 1-based line, by section
/// (`[keys]`) and key, found by reading the lines (TOMLKit does not give
/// positions of values). Knows `key = …`, `"key" = …` and `section.key = …`
/// at the top level. O(text) to build, O(1) to ask.
struct KeyLines {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var section: String?
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("[") {
                let name = line.dropFirst().prefix { $0 != "]" }
                section = Self.bare(Substring(name))
                if lines["\u{0}" + section!] == nil { lines["\u{0}" + section!] = number }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            var key = Self.bare(line[..<eq])
            var inSection = section
            if section == nil, let dot = key.firstIndex(of: ".") {
                inSection = String(key[..<dot])
                key = String(key[key.index(after: dot)...])
            }
            let id = (inSection ?? "") + "\u{0}" + key
            if lines[id] == nil { lines[id] = number }
        }
    }

    /// The line of `key` in `section` (nil: the top level), or nil when not found.
    func line(of key: String, in section: String?) -> Int? { lines[(section ?? "") + "\u{0}" + key] }

    private static func bare(_ s: Substring) -> String {
        var t = s
        while t.first == " " || t.first == "\t" { t.removeFirst() }
        while t.last == " " || t.last == "\t" { t.removeLast() }
        if t.count >= 2, (t.first == "\"" && t.last == "\"") || (t.first == "'" && t.last == "'") {
            t = t.dropFirst().dropLast()
        }
        return String(t)
    }
}
