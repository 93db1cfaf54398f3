// See file_commands.h.
#include "system/core/shell/lib/file_commands.h"

#include <mica/fs/path.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "system/core/shell/lib/format.h"

namespace shell {

namespace {

using idl::fs::NodeInfo;
using idl::fs::NodeType;
using idl::fs::OpenFlags;
using mica::fs::Error;

constexpr size_t kPath = FileEnv::kMaxPath + 1;
// The chunk cat, cp and hexdump move per call (a multiple of 16).
constexpr size_t kChunk = 4096;

void Fail(FileEnv& env, const char* cmd, const char* path, const Status& st) {
  char why[200];
  env.err->Print("%s: %s: %s\n", cmd, path, st.Describe(why, sizeof(why)));
}

// `arg` made absolute and normalised into `out` (kPath bytes); false (and
// the error printed) if it cannot be.
bool Resolve(FileEnv& env, const char* cmd, const char* arg, char* out) {
  if (mica::fs::NormalizePath(env.cwd, arg, out, kPath)) {
    return true;
  }
  env.err->Print("%s: %s: %s\n", cmd, arg, arg[0] == '\0' ? "empty path" : "path too long");
  return false;
}

bool IsDir(const NodeInfo& info) {
  return info.type == NodeType::DIRECTORY;
}

// --- ls -------------------------------------------------------------------

void PrintEntry(FileEnv& env, bool long_form, const char* name, bool dir, uint64_t size,
                uint64_t mtime) {
  if (!long_form) {
    env.out->Print("%s%s\n", name, dir ? "/" : "");
    return;
  }
  char date[64] = "-";
  if (mtime != 0) {
    FormatUtc(static_cast<int64_t>(mtime), date, sizeof(date));
    date[19] = '\0';  // "YYYY-MM-DD HH:MM:SS", without " UTC"
  }
  env.out->Print("%c %10llu %-19s %s%s\n", dir ? 'd' : '-', static_cast<unsigned long long>(size),
                 date, name, dir ? "/" : "");
}

void ListRoot(FileEnv& env, bool long_form) {
  for (size_t i = 0; i < env.fs->MountCount(); i++) {
    char path[kPath];
    NodeInfo info;
    const char* name = env.fs->MountName(i);
    if (mica::fs::JoinPath("/", name, path, sizeof(path)) && env.fs->Stat(path, &info).ok()) {
      PrintEntry(env, long_form, name, true, info.size, info.modify_time);
    }
  }
}

void ListDir(FileEnv& env, bool long_form, const char* path) {
  if (strcmp(path, "/") == 0) {
    ListRoot(env, long_form);
    return;
  }
  std::unique_ptr<OpenedDir> dir;
  Status st = env.fs->OpenDir(path, &dir);
  while (st.ok()) {
    const idl::fs::DirEntry* e = nullptr;
    st = dir->Next(&e);
    if (!st.ok() || e == nullptr) {
      break;
    }
    char name[idl::fs::MAX_NAME + 1];
    snprintf(name, sizeof(name), "%.*s", static_cast<int>(e->name.size), e->name.data);
    PrintEntry(env, long_form, name, e->type == NodeType::DIRECTORY, e->size, e->modify_time);
  }
  if (!st.ok()) {
    Fail(env, "ls", path, st);
  }
}

void Ls(FileEnv& env, int argc, char** argv) {
  bool long_form = false;
  int paths = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-l") == 0) {
      long_form = true;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      env.err->Print("ls: unknown option %s (ls [-l] [path...])\n", argv[i]);
      return;
    } else {
      paths++;
    }
  }
  char* dot[] = {const_cast<char*>(".")};
  char** list = paths == 0 ? dot : argv + 1;
  int count = paths == 0 ? 1 : argc - 1;
  for (int i = 0; i < count; i++) {
    if (paths != 0 && list[i][0] == '-' && list[i][1] != '\0') {
      continue;
    }
    char path[kPath];
    NodeInfo info;
    if (!Resolve(env, "ls", list[i], path)) {
      continue;
    }
    Status st = env.fs->Stat(path, &info);
    if (!st.ok()) {
      Fail(env, "ls", path, st);
    } else if (!IsDir(info)) {
      PrintEntry(env, long_form, list[i], false, info.size, info.modify_time);
    } else {
      if (paths > 1) {
        env.out->Print("%s:\n", path);
      }
      ListDir(env, long_form, path);
    }
  }
}

// --- cd, pwd --------------------------------------------------------------

void Cd(FileEnv& env, int argc, char** argv) {
  char path[kPath];
  if (!Resolve(env, "cd", argc > 1 ? argv[1] : "/data", path)) {
    return;
  }
  NodeInfo info;
  Status st = env.fs->Stat(path, &info);
  if (st.ok() && !IsDir(info)) {
    st = Status::Of(Error::NOT_DIRECTORY);
  }
  if (!st.ok()) {
    Fail(env, "cd", path, st);
    return;
  }
  memcpy(env.cwd, path, strlen(path) + 1);
}

void Pwd(FileEnv& env, int, char**) {
  env.out->Print("%s\n", env.cwd);
}

// --- cat, hexdump, write --------------------------------------------------

// Opens the file `path` with `flags` (IS_DIRECTORY for a directory);
// null (the error printed) on an error.
std::unique_ptr<OpenedFile> OpenFile(FileEnv& env, const char* cmd, const char* path,
                                     OpenFlags flags) {
  std::unique_ptr<OpenedFile> f;
  NodeInfo info;
  Status st = env.fs->Open(path, flags, &f, &info);
  if (st.ok() && IsDir(info)) {
    st = Status::Of(Error::IS_DIRECTORY);
  }
  if (!st.ok()) {
    Fail(env, cmd, path, st);
    return nullptr;
  }
  return f;
}

std::unique_ptr<OpenedFile> OpenToRead(FileEnv& env, const char* cmd, const char* path) {
  return OpenFile(env, cmd, path, OpenFlags::READ);
}

// Created or truncated (append: appended to).
std::unique_ptr<OpenedFile> OpenToWrite(FileEnv& env, const char* cmd, const char* path,
                                        bool append) {
  return OpenFile(
      env, cmd, path,
      OpenFlags::WRITE | OpenFlags::CREATE | (append ? OpenFlags::APPEND : OpenFlags::TRUNCATE));
}

uint8_t g_chunk[kChunk];

// Calls each(bytes, n) for the file's chunks (n > 0); false (the error
// printed) if a read failed.
template <typename F>
bool ForEachChunk(FileEnv& env, const char* cmd, const char* path, OpenedFile& f, F each) {
  for (;;) {
    size_t n = 0;
    Status st = f.Read(g_chunk, sizeof(g_chunk), &n);
    if (n > 0) {
      each(g_chunk, n);
    }
    if (!st.ok()) {
      Fail(env, cmd, path, st);
      return false;
    }
    if (n < sizeof(g_chunk)) {
      return true;
    }
  }
}

void Cat(FileEnv& env, int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    char path[kPath];
    if (!Resolve(env, "cat", argv[i], path)) {
      continue;
    }
    std::unique_ptr<OpenedFile> f = OpenToRead(env, "cat", path);
    if (!f) {
      continue;
    }
    char last = '\n';
    ForEachChunk(env, "cat", path, *f, [&](const uint8_t* bytes, size_t n) {
      env.out->Write(reinterpret_cast<const char*>(bytes), n);
      last = static_cast<char>(bytes[n - 1]);
    });
    if (last != '\n' && env.to_console) {
      env.out->Write("\n", 1);  // the prompt on a line of its own
    }
  }
}

void HexDump(FileEnv& env, int, char** argv) {
  char path[kPath];
  if (!Resolve(env, "hexdump", argv[1], path)) {
    return;
  }
  std::unique_ptr<OpenedFile> f = OpenToRead(env, "hexdump", path);
  if (!f) {
    return;
  }
  // As `hexdump -C`: a line equal to the one before is a "*" (once).
  uint64_t offset = 0;
  uint8_t previous[16];
  bool have_previous = false;
  bool starred = false;
  bool ok = ForEachChunk(env, "hexdump", path, *f, [&](const uint8_t* bytes, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
      size_t k = n - i < 16 ? n - i : 16;
      if (k == 16 && have_previous && memcmp(previous, bytes + i, 16) == 0) {
        if (!starred) {
          env.out->Write("*\n", 2);
          starred = true;
        }
      } else {
        char line[kHexLineMax];
        env.out->Write(line, FormatHexLine(offset, bytes + i, k, line));
        starred = false;
      }
      memcpy(previous, bytes + i, k);
      have_previous = k == 16;
      offset += k;
    }
  });
  if (ok && offset != 0) {
    env.out->Print("%08llx\n", static_cast<unsigned long long>(offset));
  }
}

// Creates or truncates `path` and writes `n` bytes (the error printed).
void WriteFile(FileEnv& env, const char* cmd, const char* path, const char* text, size_t n) {
  std::unique_ptr<OpenedFile> f = OpenToWrite(env, cmd, path, false);
  Status st = f && n != 0 ? f->Write(text, n) : Status();
  if (!st.ok()) {
    Fail(env, cmd, path, st);
  }
}

void Write(FileEnv& env, int argc, char** argv) {
  char path[kPath];
  if (!Resolve(env, "write", argv[1], path)) {
    return;
  }
  // The words, one blank between them, and a newline (as echo prints them).
  static char text[FileEnv::kMaxPath + 2];
  size_t n = 0;
  for (int i = 2; i < argc; i++) {
    int w = snprintf(text + n, sizeof(text) - n, i + 1 < argc ? "%s " : "%s\n", argv[i]);
    if (w < 0 || static_cast<size_t>(w) >= sizeof(text) - n) {
      env.err->Print("write: the text is too long\n");
      return;
    }
    n += static_cast<size_t>(w);
  }
  WriteFile(env, "write", path, text, n);
}

// --- cp, mv, rm, mkdir, rmdir ---------------------------------------------

// The source's path and the destination's (into a directory: its name
// there); false (the error printed) if either is wrong.
bool SourceAndTarget(FileEnv& env, const char* cmd, char** argv, char* from, char* to,
                     NodeInfo* from_info) {
  if (!Resolve(env, cmd, argv[1], from) || !Resolve(env, cmd, argv[2], to)) {
    return false;
  }
  Status st = env.fs->Stat(from, from_info);
  if (!st.ok()) {
    Fail(env, cmd, from, st);
    return false;
  }
  NodeInfo target;
  if (env.fs->Stat(to, &target).ok() && IsDir(target) && strcmp(from, to) != 0) {
    char inside[kPath];
    if (!mica::fs::JoinPath(to, mica::fs::BaseName(from), inside, sizeof(inside))) {
      env.err->Print("%s: %s: path too long\n", cmd, to);
      return false;
    }
    memcpy(to, inside, strlen(inside) + 1);
  }
  return true;
}

void Cp(FileEnv& env, int, char** argv) {
  static char from[kPath], to[kPath];
  NodeInfo info;
  if (!SourceAndTarget(env, "cp", argv, from, to, &info)) {
    return;
  }
  if (IsDir(info)) {
    Fail(env, "cp", from, Status::Of(Error::IS_DIRECTORY));
    return;
  }
  if (strcmp(from, to) == 0) {
    env.err->Print("cp: %s and %s are the same file\n", from, to);
    return;
  }
  std::unique_ptr<OpenedFile> in = OpenToRead(env, "cp", from);
  if (!in) {
    return;
  }
  std::unique_ptr<OpenedFile> out = OpenToWrite(env, "cp", to, false);
  if (!out) {
    return;
  }
  Status st;
  ForEachChunk(env, "cp", from, *in, [&](const uint8_t* bytes, size_t n) {
    if (st.ok()) {
      st = out->Write(bytes, n);
      if (!st.ok()) {
        Fail(env, "cp", to, st);
      }
    }
  });
}

void Mv(FileEnv& env, int, char** argv) {
  static char from[kPath], to[kPath];
  NodeInfo info;
  if (!SourceAndTarget(env, "mv", argv, from, to, &info)) {
    return;
  }
  Status st = env.fs->Rename(from, to);
  if (!st.ok()) {
    char why[200];
    env.err->Print("mv: %s to %s: %s\n", from, to, st.Describe(why, sizeof(why)));
  }
}

// Calls op(path) for each argument, printing its errors.
template <typename F>
void EachPath(FileEnv& env, const char* cmd, int argc, char** argv, F op) {
  for (int i = 1; i < argc; i++) {
    char path[kPath];
    if (!Resolve(env, cmd, argv[i], path)) {
      continue;
    }
    Status st = op(path);
    if (!st.ok()) {
      Fail(env, cmd, path, st);
    }
  }
}

void Rm(FileEnv& env, int argc, char** argv) {
  EachPath(env, "rm", argc, argv, [&](const char* p) { return env.fs->Remove(p, false); });
}

void Mkdir(FileEnv& env, int argc, char** argv) {
  EachPath(env, "mkdir", argc, argv, [&](const char* p) { return env.fs->MakeDirectory(p); });
}

void Rmdir(FileEnv& env, int argc, char** argv) {
  EachPath(env, "rmdir", argc, argv, [&](const char* p) { return env.fs->Remove(p, true); });
}

// --- df, sync -------------------------------------------------------------

// The mount `name` of the namespace, as "/name" in `path`; false if the
// namespace has none of that name.
bool InNamespace(FileEnv& env, const char* name, size_t length, char* path) {
  for (size_t i = 0; i < env.fs->MountCount(); i++) {
    const char* m = env.fs->MountName(i);
    if (length != 0 && strlen(m) == length && memcmp(m, name, length) == 0) {
      return mica::fs::JoinPath("/", m, path, kPath);
    }
  }
  return false;
}

void Df(FileEnv& env, int, char**) {
  static idl::fs::Mounts::ListResponse page;
  uint32_t start = 0, shown = 0;
  env.out->Print("%-8s %-12s %4s %-6s %10s %10s %10s\n", "MOUNT", "DEVICE", "PART", "TYPE",
                 "SIZE(KiB)", "USED(KiB)", "FREE(KiB)");
  do {
    Status st = env.fs->ListMounts(start, &page);
    if (!st.ok()) {
      char why[200];
      env.err->Print("df: the mount table: %s\n", st.Describe(why, sizeof(why)));
      return;
    }
    if (page.mounts.count == 0) {
      break;  // a table that makes no progress
    }
    for (const idl::fs::Mount& m : page.mounts) {
      char mount[40], device[40], path[kPath];
      snprintf(mount, sizeof(mount), "%s%.*s", m.name.size != 0 ? "/" : "-",
               static_cast<int>(m.name.size), m.name.data);
      snprintf(device, sizeof(device), "%.*s", static_cast<int>(m.device.size), m.device.data);
      if (m.state != idl::fs::MountState::MOUNTED) {
        env.out->Print("%-8s %-12s %4u FAILED: %.*s\n", mount, device, m.partition,
                       static_cast<int>(m.detail.size), m.detail.data);
      } else {
        idl::fs::FilesystemInfo fs;
        Status q = InNamespace(env, m.name.data, m.name.size, path)
                       ? env.fs->QueryFilesystem(path, &fs)
                       : Status::Of(Error::NOT_FOUND);
        if (q.ok()) {
          uint64_t used = fs.total_bytes >= fs.free_bytes ? fs.total_bytes - fs.free_bytes : 0;
          env.out->Print("%-8s %-12s %4u %-6.*s %10llu %10llu %10llu\n", mount, device, m.partition,
                         static_cast<int>(fs.fs_type.size), fs.fs_type.data,
                         static_cast<unsigned long long>(fs.total_bytes / 1024),
                         static_cast<unsigned long long>(used / 1024),
                         static_cast<unsigned long long>(fs.free_bytes / 1024));
        } else {
          // Not in this namespace (or not answering): the partition's size.
          env.out->Print("%-8s %-12s %4u %-6s %10llu %10s %10s\n", mount, device, m.partition, "?",
                         static_cast<unsigned long long>(m.size / 1024), "-", "-");
        }
      }
      shown++;
    }
    start += page.mounts.count;
  } while (start < page.total);
  env.out->Print("df: %u volumes\n", shown);
}

void Sync(FileEnv& env, int argc, char** argv) {
  if (argc > 1) {
    EachPath(env, "sync", argc, argv, [&](const char* p) { return env.fs->Sync(p); });
    return;
  }
  // Every mount there is; one the namespace cannot open is skipped.
  for (size_t i = 0; i < env.fs->MountCount(); i++) {
    char path[kPath];
    NodeInfo info;
    if (!mica::fs::JoinPath("/", env.fs->MountName(i), path, sizeof(path)) ||
        !env.fs->Stat(path, &info).ok()) {
      continue;
    }
    Status st = env.fs->Sync(path);
    if (!st.ok()) {
      Fail(env, "sync", path, st);
    }
  }
}

constexpr int kMany = 15;  // Shell::kMaxArgs - 1

const FileCommand kFileCommands[] = {
    {"ls", "[-l] [path...]", "lists directories (-l: type, size, date)", 0, kMany, Ls},
    {"cd", "[path]", "changes the directory (default /data)", 0, 1, Cd},
    {"pwd", "", "prints the directory", 0, 0, Pwd},
    {"cat", "<file...>", "prints files", 1, kMany, Cat},
    {"write", "<file> <text...>", "writes the text to a file (creates or truncates it)", 2, kMany,
     Write},
    {"cp", "<from> <to>", "copies a file (into <to> if it is a directory)", 2, 2, Cp},
    {"mv", "<from> <to>", "moves or renames (into <to> if it is a directory)", 2, 2, Mv},
    {"rm", "<file...>", "removes files", 1, kMany, Rm},
    {"mkdir", "<dir...>", "makes directories", 1, kMany, Mkdir},
    {"rmdir", "<dir...>", "removes empty directories", 1, kMany, Rmdir},
    {"df", "", "the volumes: size, used, free, or why they failed", 0, 0, Df},
    {"sync", "[path...]", "writes every change to the disk", 0, kMany, Sync},
    {"hexdump", "<file>", "a file in hex and ASCII (as hexdump -C)", 1, 1, HexDump},
};

}  // namespace

void Printer::Print(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  VPrint(fmt, ap);
  va_end(ap);
}

void Printer::VPrint(const char* fmt, va_list ap) {
  char buf[kMaxPrint + 1];
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n > 0) {
    Write(buf, static_cast<size_t>(n) < sizeof(buf) ? static_cast<size_t>(n) : sizeof(buf) - 1);
  }
}

const FileCommand* FileCommands(size_t* count) {
  *count = sizeof(kFileCommands) / sizeof(kFileCommands[0]);
  return kFileCommands;
}

std::unique_ptr<OpenedFile> OpenForRedirect(FileEnv& env, const char* command, const char* path,
                                            bool append) {
  char abs[kPath];
  if (!Resolve(env, command, path, abs)) {
    return nullptr;
  }
  return OpenToWrite(env, command, abs, append);
}

void FileOutput::Write(const char* bytes, size_t n) {
  while (n > 0 && status_.ok()) {
    size_t k = sizeof(buffer_) - used_ < n ? sizeof(buffer_) - used_ : n;
    memcpy(buffer_ + used_, bytes, k);
    used_ += k;
    bytes += k;
    n -= k;
    if (used_ == sizeof(buffer_)) {
      status_ = file_->Write(buffer_, used_);
      used_ = 0;
    }
  }
}

Status FileOutput::Finish() {
  if (status_.ok() && used_ != 0) {
    status_ = file_->Write(buffer_, used_);
  }
  used_ = 0;
  return status_;
}

size_t FormatHexLine(uint64_t offset, const uint8_t* bytes, size_t n, char* out) {
  static const char kHex[] = "0123456789abcdef";
  if (n > 16) {
    n = 16;
  }
  size_t len = static_cast<size_t>(
      snprintf(out, kHexLineMax, "%08llx  ", static_cast<unsigned long long>(offset)));
  for (size_t i = 0; i < 16; i++) {
    out[len++] = i < n ? kHex[bytes[i] >> 4] : ' ';
    out[len++] = i < n ? kHex[bytes[i] & 15] : ' ';
    out[len++] = ' ';
    if (i == 7) {
      out[len++] = ' ';
    }
  }
  out[len++] = ' ';
  out[len++] = '|';
  for (size_t i = 0; i < n; i++) {
    out[len++] = bytes[i] >= 0x20 && bytes[i] < 0x7f ? static_cast<char>(bytes[i]) : '.';
  }
  out[len++] = '|';
  out[len++] = '\n';
  return len;
}

}  // namespace shell
