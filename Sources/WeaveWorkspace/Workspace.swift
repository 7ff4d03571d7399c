// WeaveWorkspace: a shared folder's state, which files exist under which paths
// (see docs/WORKSPACES.md). Pure: no I/O.
//
// - `FolderRecord`: one line of the manifest, the folder's own document.
// - `FolderState`: the fold of those lines (a last-writer-wins register per
//   file) with the shown names of conflicting files.
// - `WorkspacePath`: which paths can be shared, and how they sort.
