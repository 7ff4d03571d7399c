/// A change to the visible text, in Unicode scalars: at `position`, remove
/// `removed` scalars, then insert `inserted`.
///
/// Applying an operation yields its text edits in order; applying them one after
/// another to the text before the operation gives the text after it, so a view
/// can follow a document without re-reading it.
public struct TextEdit: Hashable, Sendable, CustomStringConvertible {
    public var position: Int
    public var removed: Int
    public var inserted: [Unicode.Scalar]

    public init(position: Int, removed: Int, inserted: [Unicode.Scalar]) {
        self.position = position
        self.removed = removed
        self.inserted = inserted
    }

    /// Applies the edit to an array of scalars (used by views and tests).
    public func apply(to text: inout [Unicode.Scalar]) {
        text.replaceSubrange(position ..< position + removed, with: inserted)
    }

    public var description: String {
        "@\(position) -\(removed) +\"\(String(String.UnicodeScalarView(inserted)))\""
    }
}
