#if canImport(Glibc)
import Glibc
#endif
import Foundation

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// The automerge-paper trace for the peer benchmarks: `explicit`, else in
/// `$WEAVE_TRACES`, else in ../shared/traces (as the tests look for it).
func automergePaperTrace(_ explicit: String?) -> String? {
    if let explicit { return explicit }
    var dirs: [String] = []
    if let env = ProcessInfo.processInfo.environment["WEAVE_TRACES"] { dirs.append(env) }
    dirs.append("../shared/traces")
    for d in dirs {
        for name in ["automerge-paper.json.gz", "automerge-paper.json"] where fileExists(d + "/" + name) {
            return d + "/" + name
        }
    }
    return nil
}
