@preconcurrency import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// Weave's character handling is UTF-8 whatever the environment's locale:
/// containers, cron, CI and many ssh set-ups start programs with no `LANG`
/// (or `LANG=C`/`POSIX`), where ncurses would draw every non-ASCII character
/// blank. Only `LC_CTYPE` is switched (messages, numbers and collation keep
/// the user's settings), and only in this process.
public enum TextLocale {
    /// Shown once on the status line when no UTF-8 locale exists here.
    public static let noUTF8Notice = "No UTF-8 locale on this machine: non-ASCII shows as ?, but all you type is kept"

    /// Sets the locale from the environment; when its codeset is not UTF-8,
    /// sets `LC_CTYPE` to the first of `candidates` that exists. Returns
    /// whether UTF-8 is in effect.
    @discardableResult
    public static func adopt() -> Bool {
        setlocale(LC_ALL, "")
        if isUTF8 { return true }
        let current = setlocale(LC_CTYPE, nil).flatMap { String(validatingCString: $0) } ?? "C"
        let found = firstUTF8(of: candidates(current: current, installed: installedNames())) { name in
            setlocale(LC_CTYPE, name) != nil && isUTF8
        }
        if found == nil { setlocale(LC_CTYPE, "") }
        return found != nil
    }

    /// The first of `names` that `tryLocale` (sets it, says whether UTF-8 is
    /// now in effect) takes, or nil when none exists.
    static func firstUTF8(of names: [String], _ tryLocale: (String) -> Bool) -> String? {
        names.first(where: tryLocale)
    }

    /// Whether the current `LC_CTYPE`'s codeset is UTF-8.
    public static var isUTF8: Bool {
        guard let c = weave_codeset().flatMap({ String(validatingCString: $0) }) else { return false }
        return normalised(c) == "utf8"
    }

    /// The UTF-8 locales to try, best first: the current one's language in
    /// UTF-8 (`de_DE.ISO-8859-1` → `de_DE.UTF-8`), glibc's `C.UTF-8`, every
    /// installed UTF-8 locale (`installed`: names as in `locale -a`), then
    /// `en_US.UTF-8` (often in the locale archive, which is not listed).
    public static func candidates(current: String, installed: [String]) -> [String] {
        var out: [String] = []
        func add(_ s: String) { if !out.contains(s) { out.append(s) } }
        let language = current.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        let base = language.split(separator: "@", maxSplits: 1).first.map(String.init) ?? ""
        if !base.isEmpty, base != "C", base != "POSIX" {
            add(base + ".UTF-8")
            add(base + ".utf8")
        }
        add("C.UTF-8")
        add("C.utf8")
        for name in installed.sorted() where isUTF8Name(name) { add(name) }
        add("en_US.UTF-8")
        add("en_US.utf8")
        return out
    }

    /// Whether a locale's name says UTF-8 (`C.utf8`, `en_GB.UTF-8`, `sr_RS.utf8@latin`).
    static func isUTF8Name(_ name: String) -> Bool {
        guard let dot = name.firstIndex(of: ".") else { return false }
        let codeset = name[name.index(after: dot)...].split(separator: "@", maxSplits: 1).first.map(String.init) ?? ""
        return normalised(codeset) == "utf8"
    }

    static func normalised(_ codeset: String) -> String {
        String(codeset.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    /// The locales compiled into folders where glibc looks: `$LOCPATH`'s
    /// folders when it is set, else /usr/lib/locale.
    static func installedNames() -> [String] {
        var folders = ["/usr/lib/locale"]
        if let p = getenv("LOCPATH").flatMap({ String(validatingCString: $0) }), !p.isEmpty {
            folders = p.split(separator: ":").map(String.init)
        }
        var names: [String] = []
        for folder in folders {
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if !name.hasPrefix(".") { names.append(name) }
            }
        }
        return names
    }
}
