import Foundation
import Logging
import Testing
@testable import WeavePeer

/// `weave serve --log FILE --log-json`: every line one JSON object whose
/// strings read back exactly, whatever a peer's name holds (issue 35).
@Suite struct JSONLogTests {
    @Test func everyLineIsAJSONObjectWhoseValuesReadBackExactly() throws {
        let dir = try TempDir()
        let path = dir.path + "/log.jsonl"
        let logger = KeyValueLogHandler.logger(label: "weave.serve", file: try KeyValueLogHandler.File(path: path), format: .json)
        let awkward = "ana \"the\" \\ editor\n\t\u{1}\u{7F} ñ 😀 ts=x"
        logger.info("handshake done", metadata: ["name": "\(awkward)", "units": "12", "msg": "not the message"])
        logger.warning("connection closed", metadata: ["reason": "nothing heard from the peer for 6 s"])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(first["msg"] == "handshake done", "a metadata key never replaces the message")
        #expect(first["name"] == awkward)
        #expect(first["units"] == "12" && first["level"] == "info" && first["label"] == "weave.serve")
        #expect(first["ts"]?.hasSuffix("Z") == true)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String])
        #expect(second["level"] == "warning" && second["reason"] == "nothing heard from the peer for 6 s")
    }

    /// The key=value format quotes a value only when it must, and escapes what
    /// would break a line or a field: quotes, backslashes, newlines, tabs and
    /// other control characters (as \u{…}); JSON also escapes a carriage return.
    @Test func keyValueQuotingAndJSONEscapesAreExact() {
        #expect(KeyValueLogHandler.quote("plain") == "plain")
        #expect(KeyValueLogHandler.quote("") == "\"\"")
        #expect(KeyValueLogHandler.quote("a=b") == "\"a=b\"")
        #expect(KeyValueLogHandler.quote("say \"hi\"\\\n\t\u{1}\u{7F}\r ñ") == "\"say \\\"hi\\\"\\\\\\n\\t\\u{1}\\u{7f}\\u{d} ñ\"")
        #expect(KeyValueLogHandler.json("say \"hi\"\\\n\t\u{1}\u{7F}\r ñ") == "\"say \\\"hi\\\"\\\\\\n\\t\\u0001\\u007f\\r ñ\"")
    }
}
