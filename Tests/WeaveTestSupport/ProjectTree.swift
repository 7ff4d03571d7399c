import Foundation

/// A generated project-like folder (issue 28): nested folders of text files of
/// 100 B to 200 KB, a `.gitignore` listing a secret and a build folder, a
/// binary file, a file over 1 MiB and a hidden folder. Seeded: one seed, one tree.
public struct ProjectTree {
    /// The files a host shares (path → bytes): text, visible, not ignored, ≤ 1 MiB.
    public private(set) var shared: [String: [UInt8]] = [:]
    /// Files on disk a host must not share, each with why.
    public private(set) var private_: [String: String] = [:]

    /// Writes the tree under `root` (which must exist) with `files` shared files.
    public init(root: String, files: Int, seed: UInt64) throws {
        var r = SeededRandom(seed: seed)
        let folders = ["Sources/Core", "Sources/Core/Detail", "Sources/App", "Tests/CoreTests", "docs", "docs/guide/ch1",
                       "Scripts", "Resources/strings", "Examples/one", "Examples/two/sub", ""]
        let words = ["let", "var", "func", "struct", "return", "if", "else", "for", "in", "weave", "é", "日本", "🙂", "{", "}", "//"]
        let fm = FileManager.default
        for i in 0 ..< files {
            let folder = folders[r.int(0 ..< folders.count)]
            let ext = ["swift", "md", "txt", "json", ""][r.int(0 ..< 5)]
            let name = "file\(i)" + (ext.isEmpty ? "" : "." + ext)
            let path = folder.isEmpty ? name : folder + "/" + name
            // Mostly small, some large: 100 B to 200 KB.
            let size = r.chance(0.05) ? r.int(50_000 ... 200_000) : r.int(100 ... 4_000)
            var text = ""
            while text.utf8.count < size {
                text += words[r.int(0 ..< words.count)]
                text += r.chance(0.15) ? "\n" : " "
            }
            if r.chance(0.5) { text += "\n" }
            let bytes = Array(text.utf8)
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
            shared[path] = bytes
        }
        func put(_ path: String, _ bytes: [UInt8], _ why: String) throws {
            let dir = (root + "/" + path as NSString).deletingLastPathComponent
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
            private_[path] = why
        }
        try put(".gitignore", Array("secrets.txt\n.build/\n*.log\n".utf8), "hidden")
        try put("secrets.txt", Array("API_KEY=not-for-peers\n".utf8), "gitignored")
        try put(".build/debug/output.txt", Array("build output\n".utf8), "gitignored and hidden")
        try put("run.log", Array("log line\n".utf8), "gitignored")
        try put("Resources/image.bin", [0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3, 0xff, 0], "binary")
        try put("big.txt", Array(repeating: UInt8(ascii: "x"), count: (1 << 20) + 100) + [10], "over 1 MiB")
        try put(".env", Array("TOKEN=1\n".utf8), "hidden")
    }

    /// The shared files whose bytes under `root` differ from the tree's (or are
    /// missing), and private files that appear there; empty when the copy is exact.
    public func differences(in root: String) -> [String] {
        var out: [String] = []
        for (path, bytes) in shared.sorted(by: { $0.key < $1.key }) {
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { out.append("\(path): missing"); continue }
            if Array(data) != bytes { out.append("\(path): \(data.count) bytes, not \(bytes.count)") }
        }
        for path in private_.keys.sorted() where FileManager.default.fileExists(atPath: root + "/" + path) {
            out.append("\(path): not shared (\(private_[path]!)) but present")
        }
        return out
    }
}
