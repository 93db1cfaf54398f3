// bin/fsbench: the file benchmarks of `./mica bench` (issue 16 §4,
// docs/performance.md "Files"), a client of the file system service over
// fs.idl, run at the shell in the root's collection `run` (meta/fsbench.cm:
// uses /data):
//
//   fsbench <random>:<files>:<runs>
//
// On the data volume (bench.py's fs disk: FAT32, /bench-4m.bin, 4 MiB, byte
// i = i * 7 + (i >> 9)) it checks the file once, then measures <runs> runs
// of each, in retired instructions (system_get_info
// MICA_SYSTEM_INFO_INSTRUCTIONS: everything the machine executed, this
// client, the fs service, the block driver, the kernel, idle excluded):
//   fs_read_4m_seq     Directory.Open the file, File.Read of 32 KiB
//                      (fs.idl's MAX_TRANSFER) to its end, close; per KiB
//   fs_read_4k_random  Open, <random> File.ReadAt of 4 KiB at pseudo-random
//                      4 KiB slots of the file (linux_block.c's sequence),
//                      close; per KiB
//   fs_create_100b     in a new directory run<r>: <files> times
//                      Directory.Open(CREATE|EXCLUSIVE|WRITE), File.Write of
//                      100 bytes, close; then Directory.Sync; per file
// and prints the medians (`bench: <name> <n>`), each run's figure (`bench:
// info ...`), and `bench: done`. test/bench/linux_block.c's fs mode does the
// same on Linux (vfat, its caches dropped before each run); here each run
// starts with fs.Mounts.DropCaches (the service's block cache emptied; the
// fat library's metadata cache of FAT and directory sectors stays warm).
#include <idl/fs_ipc.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/bench/lib/common.h"

namespace {

using idl::fs::Directory;
using idl::fs::DirectorySyncClient;
using idl::fs::Error;
using idl::fs::File;
using idl::fs::FileSyncClient;
using idl::fs::OpenFlags;

constexpr uint32_t kMaxRuns = 15;
constexpr uint32_t kMaxFiles = 9999;
constexpr const char kFile[] = "bench-4m.bin";
constexpr uint64_t kFileBytes = 4 * 1024 * 1024;
constexpr uint32_t kChunk = 32 * 1024;
constexpr uint32_t kPage = 4096;
constexpr uint32_t kSmallFileBytes = 100;

// Responses carry up to 32 KiB: kept off the stack.
alignas(8) File::ReadResponse g_read;  // its bytes word-aligned: copied a word at a time
alignas(8) File::ReadAtResponse g_read_at;
File::WriteRequest g_write;

bool Failed(const char* what, mica_status_t s, Error e, const ::mica::idl::String<160>* detail) {
  if (s != MICA_OK) {
    printf("bench: error %s: %s\n", what, mica::driver::StatusName(s));
  } else {
    printf("bench: error %s: fs error %u%s%.*s\n", what, static_cast<unsigned>(e),
           detail != nullptr && detail->size != 0 ? ": " : "",
           detail != nullptr ? static_cast<int>(detail->size) : 0,
           detail != nullptr ? detail->data : "");
  }
  return false;
}

// Directory.Open(path, flags) on `dir`; on success *node is the node's channel.
bool Open(DirectorySyncClient& dir, const char* path, OpenFlags flags, mica::Channel* node) {
  Directory::OpenRequest req;
  req.path.Set(path);
  req.flags = flags;
  mica::Channel mine;
  mica_status_t s = mica::Channel::Create(0, &mine, &req.node);
  Directory::OpenResponse r;
  if (s == MICA_OK) {
    s = dir.Open(req, &r);
  }
  if (s != MICA_OK || r.error != Error::OK) {
    return Failed(path, s, r.error, &r.detail);
  }
  *node = static_cast<mica::Channel&&>(mine);
  return true;
}

// The whole file in kChunk reads; with `check`, against the pattern.
bool ReadFile(DirectorySyncClient& root, bool check) {
  mica::Channel ch;
  if (!Open(root, kFile, OpenFlags::READ, &ch)) {
    return false;
  }
  FileSyncClient file(static_cast<mica::Channel&&>(ch));
  uint64_t at = 0;
  for (;;) {
    File::ReadRequest req;
    req.count = kChunk;
    mica_status_t s = file.Read(req, &g_read);
    if (s != MICA_OK || g_read.error != Error::OK) {
      return Failed("File.Read", s, g_read.error, &g_read.detail);
    }
    if (g_read.data.count == 0) {
      break;
    }
    for (uint32_t i = 0; check && i < g_read.data.count; i++) {
      if (g_read.data[i] != bench::ImageByte(at + i)) {
        printf("bench: error %s byte %llu reads 0x%02x, want 0x%02x\n", kFile,
               static_cast<unsigned long long>(at + i), g_read.data[i], bench::ImageByte(at + i));
        return false;
      }
    }
    at += g_read.data.count;
  }
  if (at != kFileBytes) {
    printf("bench: error %s: %llu bytes read, want %llu\n", kFile,
           static_cast<unsigned long long>(at), static_cast<unsigned long long>(kFileBytes));
    return false;
  }
  return true;
}

// fs.Mounts.DropCaches, as linux_block.c's drop_caches before each run.
bool DropCaches(idl::fs::MountsSyncClient& mounts) {
  idl::fs::Mounts::DropCachesRequest req;
  idl::fs::Mounts::DropCachesResponse r;
  mica_status_t s = mounts.DropCaches(req, &r);
  if (s != MICA_OK || r.error != Error::OK) {
    return Failed("fs.Mounts.DropCaches", s, r.error, nullptr);
  }
  return true;
}

// `count` 4 KiB reads at pseudo-random 4 KiB slots (first and last byte checked).
bool ReadRandom(DirectorySyncClient& root, uint32_t count) {
  mica::Channel ch;
  if (!Open(root, kFile, OpenFlags::READ, &ch)) {
    return false;
  }
  FileSyncClient file(static_cast<mica::Channel&&>(ch));
  uint64_t state = 1;
  for (uint32_t i = 0; i < count; i++) {
    File::ReadAtRequest req;
    req.offset = bench::NextSlot(&state, kFileBytes / kPage) * kPage;
    req.count = kPage;
    mica_status_t s = file.ReadAt(req, &g_read_at);
    if (s != MICA_OK || g_read_at.error != Error::OK) {
      return Failed("File.ReadAt", s, g_read_at.error, &g_read_at.detail);
    }
    if (g_read_at.data.count != kPage || g_read_at.data[0] != bench::ImageByte(req.offset) ||
        g_read_at.data[kPage - 1] != bench::ImageByte(req.offset + kPage - 1)) {
      printf("bench: error random read at %llu\n", static_cast<unsigned long long>(req.offset));
      return false;
    }
  }
  return true;
}

// `count` files of kSmallFileBytes in a new directory run<run>, then
// Directory.Sync; *spent is the instructions from the first Open on.
bool CreateFiles(DirectorySyncClient& root, idl::fs::MountsSyncClient& mounts, uint32_t run,
                 uint32_t count, uint64_t* spent) {
  char dir_name[16];
  snprintf(dir_name, sizeof(dir_name), "run%u", run);
  Directory::MakeDirectoryRequest mreq;
  mreq.path.Set(dir_name);
  Directory::MakeDirectoryResponse mr;
  mica_status_t s = root.MakeDirectory(mreq, &mr);
  if (s != MICA_OK || mr.error != Error::OK) {
    return Failed(dir_name, s, mr.error, &mr.detail);
  }
  mica::Channel ch;
  if (!Open(root, dir_name, OpenFlags::READ | OpenFlags::WRITE | OpenFlags::DIRECTORY, &ch)) {
    return false;
  }
  DirectorySyncClient dir(static_cast<mica::Channel&&>(ch));
  if (!DropCaches(mounts)) {  // after the mkdir, as linux_block.c
    return false;
  }
  g_write.data.count = kSmallFileBytes;
  for (uint32_t i = 0; i < kSmallFileBytes; i++) {
    g_write.data[i] = static_cast<uint8_t>('a' + i % 26);
  }
  uint64_t t0 = 0, t1 = 0;
  if (!bench::Instructions(&t0)) {
    return false;
  }
  for (uint32_t i = 0; i < count; i++) {
    char name[16];
    snprintf(name, sizeof(name), "f%04u.txt", i);
    mica::Channel node;
    if (!Open(dir, name, OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE, &node)) {
      return false;
    }
    FileSyncClient file(static_cast<mica::Channel&&>(node));
    File::WriteResponse wr;
    s = file.Write(g_write, &wr);
    if (s != MICA_OK || wr.error != Error::OK || wr.written != kSmallFileBytes) {
      return Failed(name, s, wr.error, &wr.detail);
    }
  }  // each file's channel closes here
  Directory::SyncRequest sreq;
  Directory::SyncResponse sr;
  s = dir.Sync(sreq, &sr);
  if (s != MICA_OK || sr.error != Error::OK) {
    return Failed("Directory.Sync", s, sr.error, &sr.detail);
  }
  bench::Instructions(&t1);
  *spent = t1 - t0;
  return true;
}

void Report(const char* name, uint64_t* per_run, uint32_t runs, uint64_t units, const char* unit) {
  printf("bench: info %s: runs", name);
  for (uint32_t r = 0; r < runs; r++) {
    printf(" %llu", static_cast<unsigned long long>(per_run[r]));
  }
  const uint64_t t = bench::Median(per_run, runs);
  printf(" instructions; median %llu for %llu %s\n", static_cast<unsigned long long>(t),
         static_cast<unsigned long long>(units), unit);
  printf("bench: %s %llu\n", name, static_cast<unsigned long long>((t + units / 2) / units));
}

bool FsBench(uint32_t random, uint32_t files, uint32_t runs) {
  mica::Channel ch;
  mica_status_t s = mica::component::Open("/data", &ch);
  if (s != MICA_OK) {
    printf("bench: error opening /data: %s\n", mica::driver::StatusName(s));
    return false;
  }
  DirectorySyncClient root(static_cast<mica::Channel&&>(ch));
  s = mica::component::Connect(idl::fs::Mounts::kName, &ch);
  if (s != MICA_OK) {
    printf("bench: error connecting to fs.Mounts: %s\n", mica::driver::StatusName(s));
    return false;
  }
  idl::fs::MountsSyncClient mounts(static_cast<mica::Channel&&>(ch));
  if (!bench::Calibrate() || !ReadFile(root, true)) {
    return false;
  }
  uint64_t seq[kMaxRuns], rnd[kMaxRuns], small[kMaxRuns];
  for (uint32_t r = 0; r < runs; r++) {
    uint64_t t0 = 0, t1 = 0;
    if (!DropCaches(mounts) || !bench::Instructions(&t0) || !ReadFile(root, false) ||
        !bench::Instructions(&t1)) {
      return false;
    }
    seq[r] = t1 - t0;
    if (!DropCaches(mounts) || !bench::Instructions(&t0) || !ReadRandom(root, random) ||
        !bench::Instructions(&t1)) {
      return false;
    }
    rnd[r] = t1 - t0;
    if (!CreateFiles(root, mounts, r, files, &small[r])) {
      return false;
    }
  }
  Report("fs_read_4m_seq", seq, runs, kFileBytes / 1024, "KiB");
  Report("fs_read_4k_random", rnd, runs, uint64_t{random} * kPage / 1024, "KiB");
  Report("fs_create_100b", small, runs, files, "files");
  return true;
}

bool Parse(const char* arg, uint32_t* random, uint32_t* files, uint32_t* runs) {
  char* end = nullptr;
  *random = static_cast<uint32_t>(strtoul(arg, &end, 10));
  if (*end != ':') {
    return false;
  }
  *files = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  if (*end != ':') {
    return false;
  }
  *runs = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  return *end == '\0' && *random > 0 && *files > 0 && *files <= kMaxFiles && *runs > 0 &&
         *runs <= kMaxRuns;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t random = 0, files = 0, runs = 0;
  bool ok = false;
  if (argc > 1 && Parse(argv[1], &random, &files, &runs)) {
    printf("bench: start fs random=%u files=%u runs=%u\n", random, files, runs);
    ok = FsBench(random, files, runs);
  } else {
    printf("bench: error usage: fsbench <random>:<files>:<runs>\n");
  }
  printf("bench: done%s\n", ok ? "" : " (failed)");
  return ok ? 0 : 1;
}
