/// Which document of a shared folder (a *workspace*) something belongs to.
///
/// A document keeps its ID for life: renames change its path, never its ID,
/// so operations, history and presence stay attached to it. `main` (0) is the
/// one document of a single-file session; in a workspace it is the folder's
/// own state (the file list, docs/WORKSPACES.md). Every other ID is chosen at
/// random by the replica that creates the file (64 bits: two files of one
/// workspace share an ID with probability ~n²/2⁶⁵).
public struct DocumentID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The single-file document, or a workspace's folder state.
    public static let main = DocumentID(rawValue: 0)

    /// A fresh, non-zero ID.
    public static func random<G: RandomNumberGenerator>(using g: inout G) -> DocumentID {
        DocumentID(rawValue: UInt64.random(in: 1 ... .max, using: &g))
    }

    public static func random() -> DocumentID {
        if let source { return DocumentID(rawValue: max(source(), 1)) }
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// Where `random()` takes its bits in this task; nil: the system's
    /// generator. Tests bind a seeded one (`DocumentID.$source.withValue`),
    /// so that a seed makes the same files with the same IDs every run.
    @TaskLocal public static var source: (@Sendable () -> UInt64)?

    public static func < (a: DocumentID, b: DocumentID) -> Bool { a.rawValue < b.rawValue }

    /// 16 lower-case hex digits.
    public var description: String {
        let s = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Parses `description`'s form (1–16 hex digits).
    public init?(hex: some StringProtocol) {
        guard (1 ... 16).contains(hex.count), let v = UInt64(hex, radix: 16) else { return nil }
        rawValue = v
    }
}
