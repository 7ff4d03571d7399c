import Testing
@testable import WeaveCore

let A = ReplicaID(0xA), B = ReplicaID(0xB), C = ReplicaID(0xC)

/// Applies every operation of `from` that `to` lacks.
func sync(_ from: RGA, into to: inout RGA) throws {
    try to.receive(contentsOf: from.operations(since: to.version))
}

@Suite struct RGABasics {
    @Test func typingAndDeletingLocally() throws {
        var d = RGA(replica: A)
        d.insert("hello", at: 0)
        d.insert(" world", at: 5)
        d.insert("H", at: 0)
        d.delete(at: 1, length: 1)
        #expect(d.text == "Hello world")
        #expect(d.count == 11)
        try d.checkInvariants()
    }

    @Test func typedRunIsOneOperationInTheLog() {
        var d = RGA(replica: A)
        for (i, ch) in "typing along".unicodeScalars.enumerated() { d.insert([ch], at: i) }
        #expect(d.log.count == 1)
        #expect(d.log[0].length == 12)
        var e = RGA(replica: B)
        e.insert(String(repeating: "x", count: 100_000), at: 0)
        #expect(e.log.count == 1)
        #expect(e.spanCount == 1)
    }

    @Test func backspacesMergeIntoOneBackwardRun() {
        var d = RGA(replica: A)
        d.insert("abcdef", at: 0)
        for p in stride(from: 5, through: 2, by: -1) { d.delete(at: p, length: 1) }
        #expect(d.text == "ab")
        #expect(d.log.count == 2)
        guard case .delete(let runs) = d.log[1].body else { Issue.record("not a delete"); return }
        #expect(runs == [DeletedRun(start: ElementID(counter: 5, replica: A), length: 4, backward: true)])
    }

    @Test func concurrentInsertsAtOnePositionOrderByDescendingID() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("x", at: 0)
        try sync(a, into: &b)
        a.insert("A", at: 1)  // counter 1 @ A
        b.insert("B", at: 1)  // counter 1 @ B: greater replica wins the tie, goes first
        try sync(a, into: &b)
        try sync(b, into: &a)
        #expect(a.text == "xBA")
        #expect(b.text == "xBA")
        try a.checkInvariants(); try b.checkInvariants()
    }

    @Test func laterInsertSkipsOverOlderConcurrentRun() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("ab", at: 0)
        try sync(a, into: &b)
        b.insert("ZZZ", at: 2)       // b's run after 'b'
        b.insert("Q", at: 5)
        a.insert("123", at: 1)       // a's run after 'a'
        try sync(b, into: &a)
        try sync(a, into: &b)
        #expect(a.text == b.text)
        #expect(a.text == "a123bZZZQ")
    }

    @Test func insertAfterAnElementAnotherReplicaDeleted() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("abc", at: 0)
        try sync(a, into: &b)
        a.delete(at: 1, length: 1)      // a deletes "b"
        b.insert("X", at: 2)            // b types after "b"
        try sync(a, into: &b)
        try sync(b, into: &a)
        #expect(a.text == "aXc")
        #expect(b.text == "aXc")
    }

    @Test func bothDeleteTheSameElement() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("abc", at: 0)
        try sync(a, into: &b)
        a.delete(at: 1, length: 1)
        b.delete(at: 0, length: 2)
        try sync(a, into: &b)
        try sync(b, into: &a)
        #expect(a.text == "c")
        #expect(b.text == "c")
        try a.checkInvariants(); try b.checkInvariants()
    }

    /// Deleters are rebuilt from the log: each replica reports as first deleter
    /// the delete it applied first, and the text at a version that holds only
    /// the other delete still hides the element (the second deleter counts).
    @Test func concurrentDeletersSurviveInTheHistory() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("abc", at: 0)
        try sync(a, into: &b)
        let base = a.version
        a.delete(at: 1, length: 1)  // "b"
        b.delete(at: 0, length: 2)  // "ab", backward in neither: one forward run
        let onlyA = a.version, onlyB = b.version
        try sync(a, into: &b)
        try sync(b, into: &a)
        func firstDeleter(_ doc: RGA, of scalar: Unicode.Scalar) -> ReplicaID? {
            var out: ReplicaID?
            doc.forEachElement { if $0.scalar == scalar { out = $0.deletedBy?.replica } }
            return out
        }
        #expect(firstDeleter(a, of: "b") == A)
        #expect(firstDeleter(b, of: "b") == B)
        #expect(firstDeleter(a, of: "a") == B)
        #expect(firstDeleter(a, of: "c") == nil)
        for doc in [a, b] {
            #expect(doc.text(at: base) == "abc")
            #expect(doc.text(at: onlyA) == "ac")
            #expect(doc.text(at: onlyB) == "c")
            #expect(doc.text(at: doc.version) == "c")
        }
    }

    @Test func outOfOrderDeliveryWaitsThenApplies() throws {
        var a = RGA(replica: A)
        let op1 = a.insert("ab", at: 0)!
        let op2 = a.insert("c", at: 0)!   // different ref: a separate op
        let op3 = a.delete(at: 1, length: 1)!
        var b = RGA(replica: B)
        #expect(try b.receive(op3).isEmpty)
        #expect(try b.receive(op2).isEmpty)
        #expect(b.pendingCount == 2)
        let edits = try b.receive(op1)
        #expect(b.pendingCount == 0)
        #expect(b.text == a.text)
        var view: [Unicode.Scalar] = []
        for e in edits { e.apply(to: &view) }
        #expect(String(String.UnicodeScalarView(view)) == a.text)
    }

    @Test func duplicatesAndOverlapsAreHarmless() throws {
        var a = RGA(replica: A)
        a.insert("abc", at: 0)
        let ops = a.operations(since: VersionVector())
        var b = RGA(replica: B)
        try b.receive(contentsOf: ops)
        try b.receive(contentsOf: ops)
        // An overlapping slice: units 1..<3 again plus nothing new.
        try b.receive(ops[0].slice(1, 3))
        a.insert("d", at: 3)
        // A run that overlaps what b has and extends it.
        try b.receive(a.log[0].slice(2, 4))
        #expect(b.text == "abcd")
        try b.checkInvariants()
    }

    @Test func nonASCIIText() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("é日本🙂", at: 0)
        #expect(a.count == 4)
        try sync(a, into: &b)
        b.insert("😀", at: 4)
        b.delete(at: 1, length: 1)
        try sync(b, into: &a)
        #expect(a.text == "é本🙂😀")
        #expect(b.text == a.text)
        let decoded = try OpCodec.decode(OpCodec.encode(a.log))
        #expect(decoded == Array(a.log))
    }

    @Test func refusesAnOperationThatCanNeverApply() throws {
        var a = RGA(replica: A)
        a.insert("abc", at: 0)
        var b = RGA(replica: B)
        try sync(a, into: &b)
        // Element 7@A cannot arrive any more: A's later units (counter 3) would have to come first...
        let bogus = Operation(replica: A, seq: 3, counter: 9, body: .insert(after: ElementID(counter: 7, replica: A), text: ["x"]))
        #expect(throws: OperationError.unknownElement(ElementID(counter: 7, replica: A), in: A)) { try b.receive(bogus) }
        let backwards = Operation(replica: A, seq: 3, counter: 1, body: .insert(after: nil, text: ["x"]))
        #expect(throws: OperationError.counterWentBackwards(A, counter: 1, expectedAtLeast: 3)) { try b.receive(backwards) }
        let notAfter = Operation(replica: C, seq: 0, counter: 2, body: .insert(after: ElementID(counter: 2, replica: A), text: ["x"]))
        #expect(throws: OperationError.counterNotAfterReference(ElementID(counter: 2, replica: C), reference: ElementID(counter: 2, replica: A))) { try b.receive(notAfter) }
        #expect(b.text == "abc")
    }

    @Test func causalBufferIsBounded() throws {
        var b = RGA(replica: B)
        b.pendingLimit = 3
        for i in 1 ... 3 {
            try b.receive(Operation(replica: A, seq: UInt32(i), counter: UInt32(i), body: .insert(after: nil, text: ["x"])))
        }
        #expect(throws: OperationError.causalBufferFull(limit: 3)) {
            try b.receive(Operation(replica: A, seq: 9, counter: 9, body: .insert(after: nil, text: ["x"])))
        }
    }

    @Test func versionsAndOperationsSince() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("one ", at: 0)
        try sync(a, into: &b)
        let v1 = b.version
        let t1 = b.text
        b.insert("two ", at: 4)
        a.insert("zero ", at: 0)
        try sync(a, into: &b)
        let v2 = b.version
        let t2 = b.text
        b.delete(at: 0, length: 5)
        #expect(b.text(at: v1) == t1)
        #expect(b.text(at: v2) == t2)
        #expect(b.text(at: VersionVector()) == "")
        #expect(b.text(at: b.version) == b.text)
        // A replica that has seen v1 lacks exactly operations(since: v1).
        var c = RGA(replica: C)
        try c.receive(contentsOf: b.operations(from: VersionVector(), to: v1))
        #expect(c.text == t1)
        try c.receive(contentsOf: b.operations(since: c.version))
        #expect(c.text == b.text)
        #expect(c.version == b.version)
    }

    @Test func idsAndIndexesMapBothWays() {
        var d = RGA(replica: A)
        d.insert("abcdef", at: 0)
        let idC = d.id(at: 2)
        d.insert("XY", at: 0)
        #expect(d.index(of: idC)! == (4, true))
        d.delete(at: 4, length: 2)  // deletes c and d
        #expect(d.index(of: idC)! == (4, false))  // where e now is
        #expect(d.scalar(of: idC) == "c")
        #expect(d.index(of: ElementID(counter: 99, replica: A)) == nil)
    }

    @Test func remoteEditsReportTheirTextEdits() throws {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("hello world", at: 0)
        try sync(a, into: &b)
        var view = Array(b.scalars)
        a.delete(at: 2, length: 5)
        a.insert("y", at: 2)
        for op in a.operations(since: b.version) {
            for e in try b.receive(op) { e.apply(to: &view) }
        }
        #expect(String(String.UnicodeScalarView(view)) == b.text)
        #expect(b.text == "heyorld")
    }
}

/// RGA's known behaviour on concurrent typing at one place, pinned as named
/// scenarios (after josephg/reference-crdts): forward typing never interleaves;
/// backward typing (each key inserted before the previous one) does.
@Suite struct InterleavingScenarios {
    func twoTypists(_ typeA: (inout RGA) -> Void, _ typeB: (inout RGA) -> Void) throws -> String {
        var a = RGA(replica: A), b = RGA(replica: B)
        a.insert("R", at: 0)
        try sync(a, into: &b)
        typeA(&a)
        typeB(&b)
        try sync(a, into: &b)
        try sync(b, into: &a)
        #expect(a.text == b.text)
        return a.text
    }

    @Test func interleavingForward() throws {
        let text = try twoTypists({ d in for (i, c) in "abc".unicodeScalars.enumerated() { d.insert([c], at: 1 + i) } },
                                  { d in for (i, c) in "xyz".unicodeScalars.enumerated() { d.insert([c], at: 1 + i) } })
        #expect(text == "Rxyzabc")  // whole runs, the one with the greater first ID first
    }

    @Test func interleavingBackward() throws {
        let text = try twoTypists({ d in for c in "abc".unicodeScalars.reversed() { d.insert([c], at: 1) } },
                                  { d in for c in "xyz".unicodeScalars.reversed() { d.insert([c], at: 1) } })
        #expect(text == "Rxaybzc")  // RGA interleaves backward typing (docs/INTERNALS.md)
    }
}

/// The place a local edit leaves (the typing cache) after Backspace, on text
/// another replica wrote: the next key's reference is that replica's element.
struct BackspaceCacheTests {
    @Test func backspacingAPeersTextThenTypingNamesThePeersElement() throws {
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        a.insert("hello", at: 0)
        try b.receive(contentsOf: a.log)
        var ops: [Operation] = []
        ops.append(b.delete(at: 4, length: 1)!)   // "hell"
        ops.append(b.delete(at: 3, length: 1)!)   // "hel": found from the place the last Backspace left
        let typed = b.insert("p", at: 3)!          // "help"
        ops.append(typed)
        guard case .insert(let after, _) = typed.body else { Issue.record("not an insert"); return }
        #expect(after == ElementID(counter: 2, replica: ReplicaID(1)))
        #expect(b.text == "help")
        try a.receive(contentsOf: ops)
        #expect(a.text == "help")
        ops.append(b.delete(at: 3, length: 1)!)   // Backspace over own key, then over the peer's "l" and "e"
        ops.append(b.delete(at: 1, length: 2)!)
        #expect(b.text == "h")
        try a.receive(contentsOf: Array(ops.suffix(2)))
        #expect(a.text == "h")
        try a.checkInvariants()
        try b.checkInvariants()
    }
}
