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
        let data: [UInt8]
        do {
            data = try Gzip.readFile(path)
        } catch let e as Gzip.Error {
            throw TraceError.unreadable(path: path, reason: e.description)
        }
        return try parse(data, path: path)
    }

    /// Parses trace JSON.
    public static func parse(_ bytes: [UInt8], path: String = "<memory>") throws -> EditingTrace {
        func bad(_ r: String) -> TraceError { .malformed(path: path, reason: r) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw bad("invalid JSON (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any] else { throw bad("top level is not an object") }
        guard let end = top["endContent"] as? String else { throw bad("missing endContent") }
        guard let txns = top["txns"] as? [Any] else { throw bad("missing txns") }
        let concurrent = (top["kind"] as? String) == "concurrent"
        let numAgents = concurrent ? (top["numAgents"] as? Int ?? 0) : 1
        if concurrent && numAgents < 1 { throw bad("numAgents missing or < 1") }
        var out: [Transaction] = []
        out.reserveCapacity(txns.count)
        for (i, any) in txns.enumerated() {
            guard let t = any as? [String: Any], let ps = t["patches"] as? [Any] else { throw bad("transaction \(i) has no patches") }
            var patches: [Patch] = []
            patches.reserveCapacity(ps.count)
            for p in ps {
                guard let a = p as? [Any], a.count == 3, let pos = a[0] as? Int, let del = a[1] as? Int, let ins = a[2] as? String,
                      pos >= 0, del >= 0 else { throw bad("transaction \(i) has a malformed patch") }
                patches.append(Patch(position: pos, deleted: del, inserted: Array(ins.unicodeScalars)))
            }
            var parents: [Int]
            var agent = 0
            if concurrent {
                guard let ps = t["parents"] as? [Int], let ag = t["agent"] as? Int else { throw bad("transaction \(i) lacks parents or agent") }
                guard ps.allSatisfy({ $0 >= 0 && $0 < i }) else { throw bad("transaction \(i) names a parent that does not come before it") }
                guard ag >= 0 && ag < numAgents else { throw bad("transaction \(i) names agent \(ag) of \(numAgents)") }
                parents = ps
                agent = ag
            } else {
                parents = i == 0 ? [] : [i - 1]
            }
            out.append(Transaction(parents: parents, agent: agent, time: t["time"] as? String, patches: patches))
        }
        return EditingTrace(kind: concurrent ? .concurrent : .sequential, numAgents: numAgents,
                            startContent: top["startContent"] as? String ?? "", endContent: end, transactions: out)
    }
}
