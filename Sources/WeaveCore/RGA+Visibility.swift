/// Showing and hiding elements without deleting them: the document as it was at
/// an earlier version, laid over the one tree (see GraphWalker.swift).
///
/// The span tree's visibility normally means "deleted by some unit applied
/// here". The graph walker borrows it to mean "visible at the version being
/// prepared", so positions in a transaction made at that version resolve with
/// the usual O(log s) visible-index lookups. Only the tree changes: the element
/// tables keep every insert's and delete's record, so once the walker has
/// advanced to every unit the two meanings agree again (`checkInvariants` then
/// holds).
extension RGA {
    /// Makes the elements `counter ..< counter + length` of `replica` hidden
    /// (or shown), leaving any already so as they are. Every element must exist.
    /// O(spans touched · log s).
    mutating func setHidden(_ replica: ReplicaID, counter: UInt32, length: UInt32, hidden: Bool) {
        guard length > 0 else { return }
        mutationStamp &+= 1
        let r = slot(of: replica)!
        var c = counter
        let end = counter &+ length
        while c != end {
            let leaf = self.leaf(of: r, c)
            let (k, off) = findSpan(in: leaf, replica: r, counter: c)
            let s = span(leaf, k)
            let take = min(s.length - UInt32(off), end &- c)
            if s.deleted != hidden {
                markHidden(r, counter: c, length: take, leaf: leaf, span: k, offset: off, hidden: hidden)
            }
            c &+= take
        }
    }
}
