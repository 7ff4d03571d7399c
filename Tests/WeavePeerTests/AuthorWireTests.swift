import Testing
import WeaveCore
import WeaveHistory
@testable import WeavePeer

/// A History note carries WeaveHistory's `Author` itself; its colour, an `Int`
/// there, is one byte on the wire (docs/WIRE.md, "History note"): the bytes
/// are the documented ones, and a colour outside 0...255 is clamped, not
/// wrapped and not refused.
@Suite struct AuthorWireTests {
    static func note(colour: Int) -> Message {
        .history(HistoryNote(authors: [Author(replica: ReplicaID(7), name: "ann", colour: colour)]))
    }

    @Test func anAuthorIsTheDocumentedBytes() throws {
        let bytes = Self.note(colour: 3).encode()
        // Type 11; one author: replica u64le, name (varint length, UTF-8), colour; no mark groups.
        #expect(bytes == [11, 1, 7, 0, 0, 0, 0, 0, 0, 0, 3] + Array("ann".utf8) + [3, 0])
        #expect(try Message.decode(bytes) == Self.note(colour: 3))
    }

    @Test(arguments: [(-5, 0), (0, 0), (200, 200), (255, 255), (256, 255), (300, 255), (65_535, 255)])
    func aColourOutsideAByteIsClamped(colour: Int, sent: Int) throws {
        let bytes = Self.note(colour: colour).encode()
        #expect(bytes == Self.note(colour: sent).encode())
        #expect(try Message.decode(bytes) == Self.note(colour: sent))
    }
}
