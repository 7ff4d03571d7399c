/// The paths a shared folder can hold, and how they compare and split.
///
/// A shared path is relative to the folder's root, names separated by "/".
/// Everything here works on the path's UTF-8 bytes where a file system does
/// (a "/" or a leading "." is a byte, whatever follows it), and compares names
/// as Swift strings (Unicode canonical equivalence) where the state orders
/// or groups them, which is the same on every replica.
public enum WorkspacePath {
    /// The longest path shared, in bytes of UTF-8 (PATH_MAX on Linux).
    public static let maxBytes = 4096

    /// Checks that `path` can be shared and returns it as it is to be stored.
    ///
    /// A shared path is non-empty, at most `maxBytes` bytes, relative (no
    /// leading "/"), has no empty name ("a//b", "a/"), no "." or ".." name, no
    /// name starting with "." (hidden files are not shared: .git, .weave, the
    /// history sidecars), no name over `maxNameBytes` bytes, no control
    /// character (C0, DEL, C1: a record is one line, a NUL ends a C path, and an
    /// ESC in a name would drive every peer's terminal), and is in Unicode
    /// Normalization Form C. A Swift `String` is valid UTF-8 by construction;
    /// names read from disk are checked for it by `FolderScan`.
    ///
    /// The path is returned unchanged: validation refuses rather than rewrites,
    /// so a path means the same bytes on every replica and the host can find
    /// its file again (no Unicode normalisation: a Linux file system keeps a
    /// name's bytes as they are: a name not in NFC is refused). Checks in this
    /// order: empty, characters, length, leading "/", each name, normal form. O(path bytes).
    ///
    /// Throws the first rule broken, as a `WorkspaceError` whose message names it.
    public static func validate(_ path: String) throws(WorkspaceError) -> String {
        let bytes = path.utf8
        if bytes.isEmpty { throw .emptyPath }
        for s in path.unicodeScalars where isControl(s) {
            throw .forbiddenCharacter(path, s)
        }
        if bytes.count > maxBytes { throw .tooLong(path, bytes: bytes.count) }
        if bytes.first == slash { throw .absolutePath(path) }
        for name in bytes.split(separator: slash, omittingEmptySubsequences: false) {
            if name.isEmpty { throw .emptyName(path) }
            if name.elementsEqual([dot]) { throw .currentFolderName(path) }
            if name.elementsEqual([dot, dot]) { throw .parentFolderName(path) }
            if name.first == dot { throw .hiddenName(path, name: String(Substring(name))) }
            if name.count > maxNameBytes { throw .nameTooLong(path, name: String(Substring(name)), bytes: name.count) }
        }
        if !isNFC(path) { throw .notNormalized(path) }
        return path
    }

    /// The longest name (one component) shared, in bytes of UTF-8 (NAME_MAX on Linux).
    public static let maxNameBytes = 255

    /// A control character: C0 (U+0000–U+001F), DEL (U+007F) or C1 (U+0080–U+009F).
    /// None is ever shared: they end C paths, break records and drive terminals.
    public static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F ... 0x9F).contains(s.value)
    }

    /// Whether `path`'s bytes are already in Unicode Normalization Form C. A
    /// name in another form is refused, not rewritten (a Linux file system
    /// keeps bytes: two forms would be two files that look the same). O(path).
    public static func isNFC(_ path: String) -> Bool {
        // ASCII is always NFC.
        if path.utf8.allSatisfy({ $0 < 0x80 }) { return true }
        var i = path.utf8.startIndex
        var same = true
        path._withNFCCodeUnits { b in
            guard same else { return }
            if i == path.utf8.endIndex || path.utf8[i] != b { same = false; return }
            i = path.utf8.index(after: i)
        }
        return same && i == path.utf8.endIndex
    }

    /// Whether `path` passes `validate`. O(path bytes).
    public static func isValid(_ path: String) -> Bool {
        (try? validate(path)) != nil
    }

    /// The names of `path`, split at each "/" byte. O(path bytes).
    public static func names(_ path: String) -> [Substring] {
        path.utf8.split(separator: slash, omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// The folders `path` is in, outermost first: "a/b/c.txt" → ["a", "a/b"].
    /// O(path bytes · depth).
    public static func folders(of path: String) -> [String] {
        var out: [String] = []
        let bytes = path.utf8
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == slash { out.append(String(Substring(bytes[bytes.startIndex ..< i]))) }
            i = bytes.index(after: i)
        }
        return out
    }

    /// Orders paths name by name, so a folder's files sort together ("a/b"
    /// before "a-c", which a character-wise order puts first), and names as
    /// Swift strings. A path sorts before the paths inside it. O(path bytes).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let x = names(a), y = names(b)
        for (p, q) in zip(x, y) where p != q { return p < q }
        return x.count < y.count
    }

    /// The name shown for the `n`th (n ≥ 2) of several files that want
    /// `path`: " (n)" inserted before the last name's extension, which is the
    /// part from its last "." (when that "." is not its first character), else
    /// appended. "notes.txt" → "notes (2).txt", "Makefile" → "Makefile (2)",
    /// "a/b.tar.gz" → "a/b.tar (2).gz". Only the last name changes, so the
    /// file stays in its folder. O(path bytes).
    public static func conflictName(_ path: String, _ n: Int) -> String {
        let bytes = path.utf8
        let nameStart = bytes.lastIndex(of: slash).map { bytes.index(after: $0) } ?? bytes.startIndex
        let suffix = " (\(n))"
        if let lastDot = bytes[nameStart...].lastIndex(of: dot), lastDot != nameStart {
            return String(Substring(bytes[..<lastDot])) + suffix + String(Substring(bytes[lastDot...]))
        }
        return path + suffix
    }

    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")
}
