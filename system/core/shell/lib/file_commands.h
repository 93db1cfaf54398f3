// The shell's file commands (docs/shell.md, "Files"): ls, cd, pwd, cat,
// write, cp, mv, rm, mkdir, rmdir, df, sync, hexdump. Pure: they reach the
// files through the FileSystem interface (the shell's is files.cc, over
// mica::fs and fs.Mounts; the host tests' an in-memory fake) and print
// through Printer, so every message is host-tested
// (file_commands_test.cc).
//
// Paths are taken relative to FileEnv::cwd and normalised by the client
// (mica::fs::NormalizePath: "." and ".." lexically). An error is one line
// on FileEnv::err, "<command>: <path>: <reason>[: <the service's detail>]",
// e.g. "rm: /data/x.txt: no such file or directory"; a command given
// several paths goes on with the next.
#pragma once

#include <idl/fs.h>
#include <mica/fs/status.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <memory>

namespace shell {

using mica::fs::Status;

// Where a command's text goes: the console, or a file (`> file`).
class Printer {
 public:
  virtual ~Printer() = default;
  virtual void Write(const char* bytes, size_t n) = 0;
  void Print(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  // At most kMaxPrint bytes a call (more is cut).
  void VPrint(const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));
  static constexpr size_t kMaxPrint = 1100;  // a long name (MAX_NAME bytes) and more
};

class OpenedFile {
 public:
  virtual ~OpenedFile() = default;
  // Up to `count` bytes at the position; *actual is short only at the end.
  virtual Status Read(void* buffer, size_t count, size_t* actual) = 0;
  // All `count` bytes at the position (the end with APPEND).
  virtual Status Write(const void* data, size_t count) = 0;
};

class OpenedDir {
 public:
  virtual ~OpenedDir() = default;
  // The next entry (valid until the next call), or null at the end.
  virtual Status Next(const idl::fs::DirEntry** entry) = 0;
};

// What the file commands need: paths are absolute and normalised.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Status Open(const char* path, idl::fs::OpenFlags flags, std::unique_ptr<OpenedFile>* file,
                      idl::fs::NodeInfo* info) = 0;
  virtual Status OpenDir(const char* path, std::unique_ptr<OpenedDir>* dir) = 0;
  // "/" is a directory (whose entries are the mounts).
  virtual Status Stat(const char* path, idl::fs::NodeInfo* info) = 0;
  virtual Status MakeDirectory(const char* path) = 0;
  virtual Status Remove(const char* path, bool directory) = 0;
  virtual Status Rename(const char* from, const char* to) = 0;
  virtual Status Sync(const char* path) = 0;
  virtual Status QueryFilesystem(const char* path, idl::fs::FilesystemInfo* info) = 0;
  // The mounts of the namespace ("data", "boot"): what `ls /` lists.
  virtual size_t MountCount() const = 0;
  virtual const char* MountName(size_t i) const = 0;
  // fs.Mounts.List (from `start`): the service's table, for df (an error
  // if the service cannot be asked).
  virtual Status ListMounts(uint32_t start, idl::fs::Mounts::ListResponse* page) = 0;
};

struct FileEnv {
  static constexpr size_t kMaxPath = idl::fs::MAX_PATH;
  FileSystem* fs = nullptr;
  Printer* out = nullptr;  // what a command prints
  Printer* err = nullptr;  // its errors: always the console
  bool to_console = true;  // `out` is the console (cat then ends an open line)
  char cwd[kMaxPath + 1] = "/data";
};

// A file command: argv[0] its name; prints to env.out and env.err.
struct FileCommand {
  const char* name;
  const char* usage;
  const char* help;
  int min_args;
  int max_args;
  void (*run)(FileEnv& env, int argc, char** argv);
};
const FileCommand* FileCommands(size_t* count);

// Opens `path` (relative to env.cwd) for writing `> path` (truncating) or
// `>> path` (appending): the shell's output redirection. Errors are
// printed ("<command>: <path>: <reason>") and give null.
std::unique_ptr<OpenedFile> OpenForRedirect(FileEnv& env, const char* command, const char* path,
                                            bool append);

// A Printer into a file, buffered (a write per 4 KiB): the first error is
// kept, and later text dropped.
class FileOutput : public Printer {
 public:
  explicit FileOutput(OpenedFile* file) : file_(file) {}
  void Write(const char* bytes, size_t n) override;
  // Writes what is buffered; the first error of any write.
  Status Finish();

 private:
  OpenedFile* file_;
  char buffer_[4096];
  size_t used_ = 0;
  Status status_;
};

// One line of `hexdump -C`: the offset (8 hex digits), two blanks, up to
// 16 bytes in hex (a blank more after the 8th; missing bytes as blanks),
// the bytes as ASCII between bars (. for anything not printable), "\n".
// `out` holds at least kHexLineMax bytes; returns the length.
inline constexpr size_t kHexLineMax = 96;
size_t FormatHexLine(uint64_t offset, const uint8_t* bytes, size_t n, char* out);

}  // namespace shell
