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
    /// The path holds a line feed, a carriage return or a NUL.
    case forbiddenCharacter(String, Unicode.Scalar)
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
            let what = s == "\n" ? "a line break" : s == "\r" ? "a carriage return" : "a NUL character"
            return "\(Self.shown(p)): a shared path cannot contain \(what)"
        case .tooLong(let p, let bytes):
            return "\(Self.shown(p)): a shared path is at most \(WorkspacePath.maxBytes) bytes long, this one has \(bytes)"
        case .reservedDocument:
            return "document \(DocumentID.main) is the folder's own state, not a file"
        case .unknownDocument(let d):
            return "document \(d) is not in the shared folder"
        }
    }

    /// `path` as a message shows it: line feeds, carriage returns and NULs
    /// escaped, and cut to its first 60 characters (then "…").
    static func shown(_ path: String) -> String {
        var out = ""
        for (i, c) in path.unicodeScalars.enumerated() {
            if i == 60 { out += "…"; break }
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
