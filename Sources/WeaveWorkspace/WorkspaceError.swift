import WeaveCore

/// Why a path cannot be shared, or why a folder change cannot be made. Each
/// message names the path (with line breaks and NULs shown escaped) and says
/// what is wrong in the user's words.
public enum WorkspaceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path is "".
    case emptyPath
    /// The path starts with "/".
    case absolutePath(String)
    /// The path has an empty name: "a//b", or a "/" at its end.
    case emptyName(String)
    /// The path has a "." name ("a/./b").
    case currentFolderName(String)
    /// The path has a ".." name ("sub/../x").
    case parentFolderName(String)
    /// A name of the path starts with "." (hidden names are not shared).
    case hiddenName(String, name: String)
    /// The path holds a control character (C0, DEL or C1).
    case forbiddenCharacter(String, Unicode.Scalar)
    /// A name of the path is longer than `WorkspacePath.maxNameBytes` bytes.
    case nameTooLong(String, name: String, bytes: Int)
    /// The path is not in Unicode Normalization Form C.
    case notNormalized(String)
    /// The path is longer than `WorkspacePath.maxBytes` bytes of UTF-8.
    case tooLong(String, bytes: Int)
    /// `DocumentID.main` names the folder's own state, never a file.
    case reservedDocument
    /// The document is not in the folder's state (never created here).
    case unknownDocument(DocumentID)

    public var description: String {
        switch self {
        case .emptyPath:
            return "a shared path cannot be empty"
        case .absolutePath(let p):
            return "\(Self.shown(p)): a shared path is relative to the shared folder and cannot start with '/'"
        case .emptyName(let p):
            return "\(Self.shown(p)): a shared path cannot have an empty name ('//', or a '/' at the end)"
        case .currentFolderName(let p):
            return "\(Self.shown(p)): a shared path cannot contain '.'"
        case .parentFolderName(let p):
            return "\(Self.shown(p)): a shared path cannot contain '..'"
        case .hiddenName(let p, let name):
            return "\(Self.shown(p)): '\(Self.shown(name))' starts with '.', and hidden names are not shared"
        case .forbiddenCharacter(let p, let s):
            let what = s == "\n" ? "a line break" : s == "\r" ? "a carriage return" : s == "\0" ? "a NUL character"
                : "a control character (U+\(String(s.value, radix: 16, uppercase: true)))"
            return "\(Self.shown(p)): a shared path cannot contain \(what)"
        case .nameTooLong(let p, let name, let bytes):
            return "\(Self.shown(p)): the name '\(Self.shown(name))' has \(bytes) bytes, a shared name at most \(WorkspacePath.maxNameBytes)"
        case .notNormalized(let p):
            return "\(Self.shown(p)): a shared path must be in Unicode normal form C (its accents composed), so that every disk names it alike"
        case .tooLong(let p, let bytes):
            return "\(Self.shown(p)): a shared path is at most \(WorkspacePath.maxBytes) bytes long, this one has \(bytes)"
        case .reservedDocument:
            return "document \(DocumentID.main) is the folder's own state, not a file"
        case .unknownDocument(let d):
            return "document \(d) is not in the shared folder"
        }
    }

    /// `path` as a message shows it: line feeds, carriage returns, NULs and
    /// every other control character escaped (never sent to a terminal), and
    /// cut to its first 60 characters (then "…").
    static func shown(_ path: String) -> String {
        var out = ""
        for (i, c) in path.unicodeScalars.enumerated() {
            if i == 60 { out += "…"; break }
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            case _ where WorkspacePath.isControl(c): out += "\\u{\(String(c.value, radix: 16))}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
