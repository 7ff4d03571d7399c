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

    /// Parses trace JSON, straight from its bytes (`TraceJSON`: no Foundation
    /// objects, so memory is the trace's own values). Throws
    /// `TraceError.malformed` naming what is wrong. O(input size).
    public static func parse(_ bytes: [UInt8], path: String = "<memory>") throws -> EditingTrace {
        func bad(_ r: String) -> TraceError { .malformed(path: path, reason: r) }
        /// A transaction as read, checked once its object has been read whole.
        struct Read {
            var patches: [Patch]?
            var malformedPatch = false
            var parents: [Int]?
            var agent: Int?
            var time: String?
        }
        var end: String?, start: String?, kind: String?, numAgentsRead: Int?
        var reads: [Read]?
        do {
            try bytes.withUnsafeBufferPointer { buffer throws(TraceJSON.Failure) in
                var j = TraceJSON(buffer)
                try j.object { j, key throws(TraceJSON.Failure) in
                    switch key {
                    case "endContent": end = try j.stringOrSkip()
                    case "startContent": start = try j.stringOrSkip()
                    case "kind": kind = try j.stringOrSkip()
                    case "numAgents": numAgentsRead = try j.intOrSkip()
                    case "txns":
                        guard j.peek() == UInt8(ascii: "[") else { try j.skip(); return }
                        var out: [Read] = []
                        try j.array { j, _ throws(TraceJSON.Failure) in
                            var t = Read()
                            guard j.peek() == UInt8(ascii: "{") else { try j.skip(); out.append(t); return }
                            try j.object { j, key throws(TraceJSON.Failure) in
                                switch key {
                                case "patches":
                                    guard j.peek() == UInt8(ascii: "[") else { try j.skip(); return }
                                    var patches: [Patch] = []
                                    try j.array { j, _ throws(TraceJSON.Failure) in
                                        guard j.peek() == UInt8(ascii: "[") else { try j.skip(); t.malformedPatch = true; return }
                                        var pos: Int?, del: Int?, ins: [Unicode.Scalar]?
                                        try j.array { j, k throws(TraceJSON.Failure) in
                                            switch k {
                                            case 0: pos = try j.intOrSkip()
                                            case 1: del = try j.intOrSkip()
                                            case 2: if j.isString() { ins = try j.scalars() } else { try j.skip() }
                                            default: try j.skip(); t.malformedPatch = true
                                            }
                                        }
                                        guard let pos, let del, let ins, pos >= 0, del >= 0 else { t.malformedPatch = true; return }
                                        patches.append(Patch(position: pos, deleted: del, inserted: ins))
                                    }
                                    t.patches = patches
                                case "parents":
                                    guard j.peek() == UInt8(ascii: "[") else { try j.skip(); return }
                                    var ps: [Int]? = []
                                    try j.array { j, _ throws(TraceJSON.Failure) in
                                        if let p = try j.intOrSkip() { ps?.append(p) } else { ps = nil }
                                    }
                                    t.parents = ps
                                case "agent": t.agent = try j.intOrSkip()
                                case "time": t.time = try j.stringOrSkip()
                                default: try j.skip()
                                }
                            }
                            out.append(t)
                        }
                        reads = out
                    default: try j.skip()
                    }
                }
                try j.end()
            }
        } catch {
            throw bad("invalid JSON (\(error))")
        }
        guard let end else { throw bad("missing endContent") }
        guard let reads else { throw bad("missing txns") }
        let concurrent = kind == "concurrent"
        let numAgents = concurrent ? (numAgentsRead ?? 0) : 1
        if concurrent && numAgents < 1 { throw bad("numAgents missing or < 1") }
        var out: [Transaction] = []
        out.reserveCapacity(reads.count)
        for (i, t) in reads.enumerated() {
            guard let patches = t.patches else { throw bad("transaction \(i) has no patches") }
            if t.malformedPatch { throw bad("transaction \(i) has a malformed patch") }
            var parents: [Int]
            var agent = 0
            if concurrent {
                guard let ps = t.parents, let ag = t.agent else { throw bad("transaction \(i) lacks parents or agent") }
                guard ps.allSatisfy({ $0 >= 0 && $0 < i }) else { throw bad("transaction \(i) names a parent that does not come before it") }
                guard ag >= 0 && ag < numAgents else { throw bad("transaction \(i) names agent \(ag) of \(numAgents)") }
                parents = ps
                agent = ag
            } else {
                parents = i == 0 ? [] : [i - 1]
            }
            out.append(Transaction(parents: parents, agent: agent, time: t.time, patches: patches))
        }
        return EditingTrace(kind: concurrent ? .concurrent : .sequential, numAgents: numAgents,
                            startContent: start ?? "", endContent: end, transactions: out)
    }
}
