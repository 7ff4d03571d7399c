import Foundation

/// What an editor sends to `weave connect` (docs/EDITORS.md): JSON-RPC 2.0
/// notifications, one per frame (`BridgeFramer`).
public enum EditorMessage: Equatable {
    /// The editor shows the shared document in this buffer; `text` is what it holds now.
    case open(uri: String, text: String)
    /// The editor changed its buffer, which was at client revision `revision`.
    case edit(uri: String, revision: Int, changes: [BridgeChange])
    /// The editor's cursor (`head`) and selection (`anchor`, nil without one), at client revision `revision`.
    case cursor(uri: String, revision: Int, head: BridgePosition, anchor: BridgePosition?)
    /// The editor stopped showing the document.
    case close(uri: String)
    /// Write the document to FILE (`:w`): the client owns FILE and its history.
    case save(uri: String)
    /// Go offline (edits are kept and sent when back) or back online.
    case online(Bool)

    /// Why a message was refused; the client answers with an `error` and goes on.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Parses one frame's body. Throws `Failure` naming what is wrong. O(body).
    public static func parse(_ body: [UInt8]) throws(Failure) -> EditorMessage {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(body)) } catch {
            throw Failure("a message that is not JSON")
        }
        guard let object = json as? [String: Any] else { throw Failure("a message that is not a JSON object") }
        guard let method = object["method"] as? String else { throw Failure("a message without a method") }
        let params = object["params"] as? [String: Any] ?? [:]
        func string(_ key: String) throws(Failure) -> String {
            guard let s = params[key] as? String else { throw Failure("\(method): \(key) must be a string") }
            return s
        }
        func int(_ key: String, in dict: [String: Any]) throws(Failure) -> Int {
            guard let i = dict[key] as? Int else {
                throw Failure("\(method): \(key) must be a whole number")
            }
            return i
        }
        func position(_ any: Any?, _ name: String) throws(Failure) -> BridgePosition {
            guard let p = any as? [String: Any] else { throw Failure("\(method): \(name) must be {line, column}") }
            return BridgePosition(line: try int("line", in: p), column: try int("column", in: p))
        }
        switch method {
        case "open":
            return .open(uri: try string("uri"), text: try string("text"))
        case "edit":
            guard let list = params["changes"] as? [Any] else { throw Failure("edit: changes must be a list") }
            var changes: [BridgeChange] = []
            for item in list {
                guard let c = item as? [String: Any], let range = c["range"] as? [String: Any], let text = c["text"] as? String else {
                    throw Failure("edit: each change is {range: {start, end}, text}")
                }
                changes.append(BridgeChange(start: try position(range["start"], "start"), end: try position(range["end"], "end"), text: text))
            }
            return .edit(uri: try string("uri"), revision: try int("revision", in: params), changes: changes)
        case "cursor":
            let anchor = params["anchor"].flatMap { $0 is NSNull ? nil : $0 }
            return .cursor(uri: try string("uri"), revision: try int("revision", in: params), head: try position(params["head"], "head"),
                           anchor: try anchor.map { a throws(Failure) in try position(a, "anchor") })
        case "close":
            return .close(uri: try string("uri"))
        case "save":
            return .save(uri: try string("uri"))
        case "online":
            guard let on = params["on"] as? Bool else { throw Failure("online: on must be true or false") }
            return .online(on)
        default:
            throw Failure("unknown method \(method) (expected open, edit, cursor, save, close or online)")
        }
    }
}

/// What `weave connect` sends to the editor.
public enum ClientMessage: Equatable {
    /// The reply to `open`: the shared text; the editor's buffer becomes it,
    /// at client revision `revision` (and is not to be changed when `readOnly`).
    case document(uri: String, text: String, revision: Int, readOnly: Bool)
    /// Peers' edits: apply `changes` in order if the editor has sent exactly
    /// `editorRevision` edits (else drop it: the difference comes again).
    case edit(uri: String, revision: Int, editorRevision: Int, changes: [BridgeChange])
    /// The peers' cursors in this document (the whole set: a peer missing has left it).
    case cursors(uri: String, [PeerCursor])
    /// Everyone in the session.
    case peers([PeerEntry])
    /// The link, in words, as Weave's own status line says it.
    case status(text: String, online: Bool)
    /// Something went wrong, in a sentence.
    case error(String)
    /// The reply to `save`: nil when FILE was written, else why not.
    case saved(uri: String, error: String?)
    /// (`weave connect --host`) The command that joins this session.
    case hosting(joinCommand: String)
    /// (A shared folder) Where it is on this disk and its files, each with
    /// who is in it: sent first and whenever the list changes. A document's
    /// `uri` is then its path inside the folder ("src/main.swift").
    case folder(root: String, files: [FileEntry])
    /// (A shared folder) A peer renamed the open document `uri`: it is `to` now.
    case renamed(uri: String, to: String)
    /// (A shared folder) The open document `uri` is gone (a peer deleted it):
    /// nothing more is sent or taken for it; its history stays.
    case closed(uri: String, reason: String)

    public struct FileEntry: Equatable {
        public var path: String
        /// Names of the peers whose editor shows this file.
        public var peers: [String]
        public init(path: String, peers: [String]) { (self.path, self.peers) = (path, peers) }
    }

    public struct PeerCursor: Equatable {
        public var name: String
        public var colour: String
        public var head: BridgePosition
        public var anchor: BridgePosition?
        public init(name: String, colour: String, head: BridgePosition, anchor: BridgePosition?) {
            (self.name, self.colour, self.head, self.anchor) = (name, colour, head, anchor)
        }
    }

    public struct PeerEntry: Equatable {
        public var name: String
        public var colour: String
        public init(name: String, colour: String) { (self.name, self.colour) = (name, colour) }
    }

    /// The frame's JSON body. O(size).
    public var body: [UInt8] {
        func pos(_ p: BridgePosition) -> [String: Any] { ["line": p.line, "column": p.column] }
        func changes(_ cs: [BridgeChange]) -> [[String: Any]] {
            cs.map { ["range": ["start": pos($0.start), "end": pos($0.end)], "text": $0.text] }
        }
        let method: String
        let params: [String: Any]
        switch self {
        case .document(let uri, let text, let revision, let readOnly):
            (method, params) = ("document", ["uri": uri, "text": text, "revision": revision, "readOnly": readOnly])
        case .edit(let uri, let revision, let editorRevision, let cs):
            (method, params) = ("edit", ["uri": uri, "revision": revision, "editorRevision": editorRevision, "changes": changes(cs)])
        case .cursors(let uri, let list):
            (method, params) = ("cursors", ["uri": uri, "peers": list.map { c -> [String: Any] in
                var d: [String: Any] = ["name": c.name, "colour": c.colour, "head": pos(c.head)]
                if let a = c.anchor { d["anchor"] = pos(a) }
                return d
            }])
        case .peers(let list):
            (method, params) = ("peers", ["peers": list.map { ["name": $0.name, "colour": $0.colour] }])
        case .status(let text, let online):
            (method, params) = ("status", ["text": text, "online": online])
        case .error(let message):
            (method, params) = ("error", ["message": message])
        case .saved(let uri, let error):
            (method, params) = ("saved", error.map { ["uri": uri, "error": $0] } ?? ["uri": uri])
        case .hosting(let command):
            (method, params) = ("hosting", ["joinCommand": command])
        case .folder(let root, let files):
            (method, params) = ("folder", ["root": root, "files": files.map { ["path": $0.path, "peers": $0.peers] }])
        case .renamed(let uri, let to):
            (method, params) = ("renamed", ["uri": uri, "to": to])
        case .closed(let uri, let reason):
            (method, params) = ("closed", ["uri": uri, "reason": reason])
        }
        let object: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
