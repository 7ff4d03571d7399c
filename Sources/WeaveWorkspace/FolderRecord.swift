import WeaveCore

/// One change to a shared folder's state: a line of the manifest (the text of
/// the workspace's `DocumentID.main` document, docs/WORKSPACES.md).
///
///     <kind> <document hex16> <lamport decimal> <author hex16> <path>\n
///
/// Fields are separated by single spaces; the path is the rest of the line and
/// may hold spaces. Hex is 16 lower-case digits; the lamport is decimal
/// without leading zeros. A `delete` carries the path the file had, for the
/// history. A record is only ever appended, never edited or removed.
public struct FolderRecord: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Hashable, Sendable {
        /// A new file at `path`.
        case create
        /// The file moves to `path`.
        case rename
        /// The file is gone; `path` is where it was.
        case delete
        /// A deleted file comes back at `path`.
        case restore
    }

    public var kind: Kind
    /// The file the record is about (never `DocumentID.main`).
    public var document: DocumentID
    /// The writer's Lamport time: one above every lamport it had seen.
    public var lamport: UInt64
    /// The replica that wrote the record.
    public var author: ReplicaID
    /// A valid shared path (`WorkspacePath.validate`).
    public var path: String

    public init(kind: Kind, document: DocumentID, lamport: UInt64, author: ReplicaID, path: String) {
        self.kind = kind
        self.document = document
        self.lamport = lamport
        self.author = author
        self.path = path
    }

    /// (lamport, author): the order of writes to one document.
    public var stamp: WriteStamp { WriteStamp(lamport: lamport, author: author) }

    /// The record as a manifest line, with its trailing "\n". O(path).
    public var line: String {
        "\(kind.rawValue) \(document) \(lamport) \(Self.hex16(author.rawValue)) \(path)\n"
    }

    /// `line` without its "\n".
    public var description: String { String(line.dropLast()) }

    /// Parses one manifest line (with or without its one trailing "\n").
    ///
    /// Strict: nil for an unknown kind, hex that is not exactly 16 lower-case
    /// digits, document `main`, a lamport that is not a plain decimal UInt64,
    /// a missing field, or a path `WorkspacePath.validate` refuses (empty
    /// included). Law: `FolderRecord(line: r.line) == r` for every record with
    /// a valid path and a document other than `main`. O(line).
    public init?(line: some StringProtocol) {
        self.init(parsing: Substring(String(line)))
    }

    /// `init?(line:)` without copying the line (the fold's path).
    init?(parsing line: Substring) {
        var u = line.utf8
        if u.last == Self.newline { u = u.dropLast() }
        var fields: [Substring.UTF8View] = []
        var start = u.startIndex
        while fields.count < 4 {
            guard let space = u[start...].firstIndex(of: Self.space) else { return nil }
            fields.append(u[start ..< space])
            start = u.index(after: space)
        }
        let path = String(Substring(u[start...]))
        guard let kind = Kind(rawValue: String(Substring(fields[0]))),
              let document = Self.parseHex16(fields[1]), document != DocumentID.main.rawValue,
              let lamport = Self.parseDecimal(fields[2]),
              let author = Self.parseHex16(fields[3]),
              WorkspacePath.isValid(path)
        else { return nil }
        self.init(kind: kind, document: DocumentID(rawValue: document), lamport: lamport,
                  author: ReplicaID(author), path: path)
    }

    // MARK: Fields

    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")

    /// `v` in exactly 16 lower-case hex digits.
    static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Exactly 16 lower-case hex digits, or nil.
    static func parseHex16(_ field: Substring.UTF8View) -> UInt64? {
        guard field.count == 16 else { return nil }
        var v: UInt64 = 0
        for b in field {
            switch b {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): v = v << 4 | UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): v = v << 4 | UInt64(b - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return v
    }

    /// Decimal digits only, no leading zero (but "0"), within UInt64; or nil.
    static func parseDecimal(_ field: Substring.UTF8View) -> UInt64? {
        guard let first = field.first, field.count <= 20, first != UInt8(ascii: "0") || field.count == 1 else { return nil }
        var v: UInt64 = 0
        for b in field {
            guard (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(b) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            v = s
        }
        return v
    }
}
