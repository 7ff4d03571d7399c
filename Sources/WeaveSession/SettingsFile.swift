import Foundation
import WeaveEditor
import WeavePeer
import WeaveSettings

/// The user's settings file, `settings.toml` in Weave's config directory
/// (`$WEAVE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/weave`, else
/// `~/.config/weave`, as for the peer identity), read once per process.
///
/// Environment variables win over the file: `WEAVE_MOUSE=0` turns the mouse
/// off, `WEAVE_OSC52` (set, not "" or "0") turns OSC 52 on, and `NO_COLOR`
/// makes the default theme monochrome (the terminal applies it).
///
/// Failure: a missing file gives the defaults with no problem; an unreadable
/// one gives the defaults and one problem; the file's own problems are
/// `SettingsParser`'s. Problems are shown once, on the editor's message line
/// at start-up.
public struct SettingsFile: Sendable {
    /// Where a value in force came from.
    public enum Origin: String, Sendable {
        case `default`, file, environment
    }

    /// The file's path.
    public let path: String
    /// Whether the file exists.
    public let exists: Bool
    /// The settings in force (file and environment applied).
    public let settings: Settings
    /// The settings the file set (names as in the file).
    public let fromFile: Set<String>
    /// The settings an environment variable set.
    public let fromEnvironment: Set<String>
    /// One sentence per problem with the file.
    public let problems: [String]

    /// The settings of this process, read at first use.
    public static let current = SettingsFile(environment: ProcessInfo.processInfo.environment)

    /// Reads the file `environment` points to. O(file size).
    public init(environment: [String: String]) {
        let dir = PeerIdentity.defaultDirectory(environment: environment)
        path = dir + "/settings.toml"
        let shownPath = Self.shorten(path, home: environment["HOME"])
        var outcome = SettingsParser.Outcome()
        var exists = false
        if FileManager.default.fileExists(atPath: path) {
            exists = true
            if let data = FileManager.default.contents(atPath: path) {
                if let text = String(data: data, encoding: .utf8) {
                    // Named short, to fit the message line; weave settings prints the path above them.
                    outcome = SettingsParser.parse(text, file: "settings.toml")
                } else {
                    outcome.problems = ["\(shownPath) is not UTF-8 text: the default settings are used"]
                }
            } else {
                outcome.problems = ["\(shownPath) cannot be read: the default settings are used"]
            }
        }
        var s = outcome.settings
        var env: Set<String> = []
        if environment["WEAVE_MOUSE"] == "0" { s.mouse = false; env.insert("mouse") }
        if let v = environment["WEAVE_OSC52"] { s.osc52 = !v.isEmpty && v != "0"; env.insert("osc52") }
        if let n = environment["WEAVE_NAME"], !n.isEmpty { s.name = n; env.insert("name") }
        if let c = environment["NO_COLOR"], !c.isEmpty, s.theme == Settings.Theme.default { s.theme = Settings.Theme.monochrome; env.insert("theme") }
        self.exists = exists
        settings = s
        fromFile = outcome.fromFile
        fromEnvironment = env
        problems = outcome.problems
    }

    /// Where the value of setting `name` came from.
    public func origin(of name: String) -> Origin {
        fromEnvironment.contains(name) ? .environment : fromFile.contains(name) ? .file : .default
    }

    /// The problems as one message-line sentence, or nil when there are none.
    public var problemMessage: String? {
        guard let first = problems.first else { return nil }
        return problems.count == 1 ? first
            : "\(first) (and \(problems.count - 1) more: weave settings lists them)"
    }

    /// What `weave settings` prints: the file, then every value in force and
    /// where it came from, then the problems.
    public var report: String {
        var out = "Settings file: \(path) (\(exists ? "exists" : "does not exist; the defaults are in force"))\n\n"
        let s = settings
        let rows: [(String, String)] = [
            ("name", s.name.map { "\"\($0)\"" } ?? "(the account's: \(AuthorName.current))"),
            ("theme", "\"\(s.theme.rawValue)\""),
            ("tab_width", String(s.tabWidth)),
            ("spaces", String(s.spaces)),
            ("indent_width", String(s.indentWidth)),
            ("line_numbers", String(s.lineNumbers)),
            ("soft_wrap", String(s.softWrap)),
            ("mouse", String(s.mouse)),
            ("osc52", String(s.osc52)),
            ("regex", String(s.regex)),
        ]
        for (name, value) in rows {
            out += Self.row(name, value, origin(of: name))
        }
        out += "\n[keys]" + (s.keys.isEmpty ? "  (none bound: the built-in keys, F1 lists them)\n" : "\n")
        for c in EditorCommand.allCases {
            let keys = s.keys.keys(for: c)
            guard !keys.isEmpty else { continue }
            out += Self.row(c.name, keys.map { "\"\(KeyName.display($0).lowercased())\"" }.joined(separator: ", "), .file)
        }
        if !problems.isEmpty {
            out += "\nProblems (those entries are ignored):\n" + problems.map { "  " + $0 + "\n" }.joined()
        }
        return out
    }

    private static func row(_ name: String, _ value: String, _ origin: Origin) -> String {
        let left = name + " = " + value
        return left + String(repeating: " ", count: max(2, 40 - left.count)) + "# " + origin.rawValue + "\n"
    }

    /// `path` with the home directory written `~`.
    static func shorten(_ path: String, home: String?) -> String {
        guard let home, !home.isEmpty, home != "/", path.hasPrefix(home + "/") else { return path }
        return "~" + path.dropFirst(home.count)
    }
}
