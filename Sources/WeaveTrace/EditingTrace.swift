import Foundation
import WeaveCore

/// An editing trace in one of the two formats of josephg/editing-traces (see
/// the traces' README): a sequential list of transactions, or a concurrent one
/// where each transaction names its parents and its agent.
public struct EditingTrace: Sendable {
    public enum Kind: String, Sendable { case sequential, concurrent }

    /// `[pos, del, ins]` with splice semantics, counted in Unicode scalars.
    public struct Patch: Sendable, Hashable {
        public var position: Int
        public var deleted: Int
        public var inserted: [Unicode.Scalar]
        public init(position: Int, deleted: Int, inserted: [Unicode.Scalar]) {
            self.position = position
            self.deleted = deleted
            self.inserted = inserted
        }
    }

    public struct Transaction: Sendable {
        /// Indexes of earlier transactions whose merge this one was made on
        /// (sequential traces: the previous transaction).
        public var parents: [Int]
        public var agent: Int
        public var time: String?
        public var patches: [Patch]
        public init(parents: [Int], agent: Int, time: String?, patches: [Patch]) {
            self.parents = parents
            self.agent = agent
            self.time = time
            self.patches = patches
        }
    }

    public var kind: Kind
    public var numAgents: Int
    public var startContent: String
    public var endContent: String
    public var transactions: [Transaction]

    public var patchCount: Int { transactions.reduce(0) { $0 + $1.patches.count } }

    public init(kind: Kind, numAgents: Int, startContent: String, endContent: String, transactions: [Transaction]) {
        self.kind = kind
        self.numAgents = numAgents
        self.startContent = startContent
        self.endContent = endContent
        self.transactions = transactions
    }
}

/// Why a trace could not be read or did not replay to its end.
public enum TraceError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case replayMismatch(expectedCount: Int, actualCount: Int, firstDifference: Int)
    case notAnAncestor(transaction: Int, agent: Int)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read trace \(p): \(r)"
        case .malformed(let p, let r): return "trace \(p) is not a valid editing trace: \(r)"
        case .replayMismatch(let e, let a, let d):
            return "replay does not reach endContent: expected \(e) scalars, got \(a); first difference at scalar \(d)"
        case .notAnAncestor(let t, let a):
            return "transaction \(t): agent \(a) has already seen edits its parents have not (unsupported trace shape)"
        }
    }
}

extension EditingTrace {
    /// Reads a trace from a `.json` or `.json.gz` file. Throws `TraceError`.
    public static func load(path: String) throws -> EditingTrace {
        try parse(readBytes(path: path), path: path)
    }

    /// A trace file's JSON bytes, gunzipped. Throws `TraceError.unreadable`.
    static func readBytes(path: String) throws -> [UInt8] {
        do {
            return try Gzip.readFile(path)
        } catch let e as Gzip.Error {
            throw TraceError.unreadable(path: path, reason: e.description)
        }
    }

    /// Parses trace JSON, straight from its bytes (`TraceJSON`: no Foundation
    /// objects, so memory is the trace's own values), one transaction at a
    /// time (`TraceStream`, which `importHistory` reads too). Throws
    /// `TraceError.malformed` naming what is wrong. O(input size).
    public static func parse(_ bytes: [UInt8], path: String = "<memory>") throws -> EditingTrace {
        var head: TraceStream.Header?
        var out: [Transaction] = []
        try TraceStream.read(bytes, path: path, header: { head = $0 }) { _, t in
            out.append(Transaction(parents: t.parents, agent: t.agent, time: t.time, patches: t.patches))
        }
        guard let head else { throw TraceError.malformed(path: path, reason: "missing endContent") }
        return EditingTrace(kind: head.kind, numAgents: head.numAgents, startContent: head.startContent,
                            endContent: head.endContent, transactions: out)
    }
}
