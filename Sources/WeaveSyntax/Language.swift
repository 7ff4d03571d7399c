/// The languages Weave colours, and how a file's language is found: by its
/// name (extension, or a whole name such as `Makefile`), else by a `#!` line.
public enum Language: String, Sendable, CaseIterable {
    case swift, c, cpp, python, javascript, typescript, go, rust, java, shell, makefile
    case markdown, json, yaml, toml, html, css, diff

    /// The language of a file called `fileName` (a path is fine: only the last
    /// component counts) whose first line is `firstLine`, or nil for plain
    /// text. The name wins; a `#!` line decides for names without a known
    /// extension (`#!/usr/bin/env python3`, `#!/bin/sh`). O(name + first line).
    public static func detect(fileName: String, firstLine: some Sequence<Unicode.Scalar> = EmptyCollection()) -> Language? {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let lower = base.lowercased()
        if let l = byName[lower] { return l }
        if let dot = lower.lastIndex(of: "."), dot != lower.startIndex {
            if let l = byExtension[String(lower[lower.index(after: dot)...])] { return l }
        }
        return fromShebang(String(String.UnicodeScalarView(firstLine.prefix(200))))
    }

    /// The language a `#!` line names, or nil. `#!/usr/bin/env -S node` → JavaScript.
    static func fromShebang(_ line: String) -> Language? {
        guard line.hasPrefix("#!") else { return nil }
        let words = line.dropFirst(2).split(whereSeparator: { $0 == " " || $0 == "\t" })
        var program = words.first.map { String($0.split(separator: "/").last ?? $0) } ?? ""
        if program == "env" {
            program = words.dropFirst().first { !$0.hasPrefix("-") }.map(String.init) ?? ""
        }
        while let last = program.last, last.isNumber || last == "." { program.removeLast() }
        switch program {
        case "sh", "bash", "zsh", "dash", "ksh", "ash", "fish": return .shell
        case "python", "pypy": return .python
        case "node", "deno", "bun": return .javascript
        case "swift": return .swift
        case "make": return .makefile
        default: return nil
        }
    }

    static let byName: [String: Language] = [
        "makefile": .makefile, "gnumakefile": .makefile, "dockerfile": .shell, ".bashrc": .shell,
        ".zshrc": .shell, ".profile": .shell, ".bash_profile": .shell, "package.resolved": .json,
    ]

    static let byExtension: [String: Language] = [
        "swift": .swift,
        "c": .c, "h": .c,
        "cc": .cpp, "cpp": .cpp, "cxx": .cpp, "hpp": .cpp, "hh": .cpp, "hxx": .cpp, "m": .c, "mm": .cpp,
        "py": .python, "pyi": .python, "pyw": .python,
        "js": .javascript, "mjs": .javascript, "cjs": .javascript, "jsx": .javascript,
        "ts": .typescript, "tsx": .typescript, "mts": .typescript, "cts": .typescript,
        "go": .go, "rs": .rust, "java": .java,
        "sh": .shell, "bash": .shell, "zsh": .shell, "ksh": .shell,
        "mk": .makefile, "mak": .makefile,
        "md": .markdown, "markdown": .markdown,
        "json": .json, "jsonc": .json, "yaml": .yaml, "yml": .yaml, "toml": .toml,
        "html": .html, "htm": .html, "xml": .html, "svg": .html, "xhtml": .html,
        "css": .css, "diff": .diff, "patch": .diff,
    ]
}
