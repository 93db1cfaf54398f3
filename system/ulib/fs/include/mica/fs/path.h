// mica::fs paths (docs/storage.md, "The client library"): pure, no system
// call, no allocation; host-tested (test/path_test.cc).
//
// A file's path, as a program names it, is absolute ("/data/notes/a.txt")
// or relative to a current directory. Its first component is a mount: a
// directory in the component's namespace (`/data`, `/boot`); the rest goes
// to that directory's fs.Directory.Open, which refuses ".." (a directory
// channel never reaches above itself). So the client resolves "." and ".."
// itself, lexically (a name followed by ".." is dropped without looking at
// what the name is), before anything is sent:
//
//   NormalizePath("/data/notes", "../a//b/./c", out, size) -> "/data/a/b/c"
//   NormalizePath("/data", "/boot/..", ...)                 -> "/"
//   SplitMount("/data/a/b", ...) -> mount "data", rest "a/b"
//   SplitMount("/data", ...)     -> mount "data", rest ""
#pragma once

#include <stddef.h>

namespace mica::fs {

// The longest path (fs.MAX_PATH), without its NUL.
inline constexpr size_t kMaxPath = 4095;

// Resolves `path` against `cwd` (absolute; used only when `path` is
// relative; itself normalised as it is read) into `out`: the absolute path
// with no "." or ".." component, no repeated and no trailing '/' ("/" for
// the root; ".." at the root stays there). False if `path` is empty or the
// result, or a path it passes through (components are added one at a
// time, ".." taking the last away), does not fit in `size` bytes with its
// NUL; `out` is then "".
bool NormalizePath(const char* cwd, const char* path, char* out, size_t size);

// Splits a normalised absolute path: its first component (the mount) into
// `mount` (NUL-terminated) and a pointer into `path` past it and its '/'
// into *rest ("" for the mount itself). False for "/" (no mount), a path
// that is not absolute, or a mount name longer than `mount_size` - 1.
bool SplitMount(const char* path, char* mount, size_t mount_size, const char** rest);

// `dir` + "/" + `name` ("/" + name when `dir` is "/") into `out`. False if
// it does not fit (`out` is then "").
bool JoinPath(const char* dir, const char* name, char* out, size_t size);

// The last component of a normalised path ("" for "/").
const char* BaseName(const char* path);

}  // namespace mica::fs
