// bin/fs-test: the file system service's in-target test (the harness case
// fs/virt, test/harness/fs_cases.py), run by the shell in the root's
// collection `run` (meta/fs-test.cm: uses /data, /boot and fs.Mounts):
//
//   fs-test read    lists fs.Mounts (2 volumes, the same after a Rescan)
//                   and /data, reads HELLO.TXT (which the harness put on
//                   the image with mcopy), checks the errors of a missing
//                   name, "..", a file opened as a directory and a write to
//                   a file opened read-only, and that /boot (no such
//                   volume; one failed) answers NOT_MOUNTED with a reason
//   fs-test write   writes MICA.TXT (40,000 bytes of a pattern, in several
//                   requests, two connections to it at once), makes a
//                   directory with a file, APPEND.TXT ("ab", a seek to 0,
//                   "cd" with APPEND: "abcd"), syncs; then writes UNSYNCED.TXT
//                   and does not sync (the harness then kills the service)
//   fs-test check   reads MICA.TXT back through a new connection (after
//                   the service's restart) and checks every byte; checks
//                   that UNSYNCED.TXT is gone; writes LATE.TXT (1,000
//                   bytes) without a sync (the harness then stops the
//                   service, which syncs)
//
// Each step prints `fs-test: <step> ok` or `fs-test: FAIL <what>` lines and
// exits 0 or 1.
#include <idl/fs_ipc.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <stdio.h>
#include <string.h>

namespace {

using idl::fs::Directory;
using idl::fs::Error;
using idl::fs::File;
using idl::fs::OpenFlags;

constexpr uint32_t kMicaSize = 40000;
constexpr uint32_t kLateSize = 1000;
int g_failures = 0;

void Fail(const char* what, Error e) {
  printf("fs-test: FAIL %s: error %u\n", what, static_cast<unsigned>(e));
  ++g_failures;
}

uint8_t PatternByte(uint32_t i) {
  return static_cast<uint8_t>('a' + (i * 7 + i / 331) % 26);
}

bool OpenData(idl::fs::DirectorySyncClient* out) {
  mica::Channel ch;
  mica_status_t s = mica::component::Open("/data", &ch);
  if (s != MICA_OK) {
    printf("fs-test: FAIL open /data: %s\n", mica::driver::StatusName(s));
    ++g_failures;
    return false;
  }
  *out = idl::fs::DirectorySyncClient(static_cast<mica::Channel&&>(ch));
  return true;
}

// Opens `path` under `dir`: the error, and *file on OK.
Error OpenNode(idl::fs::DirectorySyncClient& dir, const char* path, OpenFlags flags,
               mica::Channel* node) {
  Directory::OpenRequest req;
  req.path.Set(path);
  req.flags = flags;
  mica::Channel mine;
  if (mica::Channel::Create(0, &mine, &req.node) != MICA_OK) {
    return Error::IO;
  }
  Directory::OpenResponse r;
  mica_status_t s = dir.Open(req, &r);
  if (s != MICA_OK) {
    printf("fs-test: Open(%s): %s\n", path, mica::driver::StatusName(s));
    return Error::IO;
  }
  if (r.error == Error::OK) {
    *node = static_cast<mica::Channel&&>(mine);
  } else if (r.detail.size != 0) {
    printf("fs-test: Open(%s): detail %.*s\n", path, static_cast<int>(r.detail.size),
           r.detail.data);
  }
  return r.error;
}

int Read() {
  // The mount table.
  mica::Channel mch;
  if (mica::component::Connect(idl::fs::Mounts::kName, &mch) == MICA_OK) {
    idl::fs::MountsSyncClient mounts(static_cast<mica::Channel&&>(mch));
    static idl::fs::Mounts::ListResponse list;
    idl::fs::Mounts::ListRequest lreq;
    lreq.start = 0;
    if (mounts.List(lreq, &list) == MICA_OK) {
      for (const idl::fs::Mount& m : list.mounts) {
        printf("fs-test: mount %.*s %.*s partition %u %s%s%.*s\n", static_cast<int>(m.device.size),
               m.device.data, static_cast<int>(m.name.size), m.name.data, m.partition,
               m.state == idl::fs::MountState::MOUNTED ? "mounted" : "failed",
               m.detail.size != 0 ? ": " : "", static_cast<int>(m.detail.size), m.detail.data);
      }
      // A rescan finds the same disks (known ones are kept as they are).
      const uint32_t before = list.total;
      idl::fs::Mounts::RescanRequest rreq;
      idl::fs::Mounts::RescanResponse rresp;
      if (mounts.Rescan(rreq, &rresp) != MICA_OK || rresp.error != Error::OK ||
          mounts.List(lreq, &list) != MICA_OK || list.total != before || before != 2) {
        Fail("Mounts.Rescan (want the same 2 volumes)", rresp.error);
      }
    } else {
      Fail("Mounts.List", Error::IO);
    }
  } else {
    Fail("connect fs.Mounts", Error::IO);
  }
  idl::fs::DirectorySyncClient data;
  if (!OpenData(&data)) {
    return 1;
  }
  // The root's entries.
  static Directory::ReadDirResponse rd;
  Directory::ReadDirRequest rdreq;
  for (int page = 0; page < 64; ++page) {
    if (data.ReadDir(rdreq, &rd) != MICA_OK || rd.error != Error::OK) {
      Fail("ReadDir", rd.error);
      break;
    }
    if (rd.entries.count == 0) {
      break;
    }
    for (const idl::fs::DirEntry& e : rd.entries) {
      printf("fs-test: entry %.*s %s %llu\n", static_cast<int>(e.name.size), e.name.data,
             e.type == idl::fs::NodeType::DIRECTORY ? "dir" : "file",
             static_cast<unsigned long long>(e.size));
    }
  }
  // A known file.
  mica::Channel fch;
  Error e = OpenNode(data, "HELLO.TXT", OpenFlags::READ, &fch);
  if (e != Error::OK) {
    Fail("open HELLO.TXT", e);
  } else {
    idl::fs::FileSyncClient file(static_cast<mica::Channel&&>(fch));
    alignas(8) static File::ReadResponse rr;
    File::ReadRequest rreq;
    rreq.count = idl::fs::MAX_TRANSFER;
    if (file.Read(rreq, &rr) != MICA_OK || rr.error != Error::OK) {
      Fail("read HELLO.TXT", rr.error);
    } else {
      printf("fs-test: HELLO.TXT says %.*s\n", static_cast<int>(rr.data.count),
             reinterpret_cast<const char*>(rr.data.items));
    }
    // Opened without WRITE: a write is refused.
    File::WriteRequest wreq;
    wreq.data.Push('x');
    File::WriteResponse wr;
    if (file.Write(wreq, &wr) != MICA_OK || wr.error != Error::READ_ONLY) {
      Fail("write to a file opened read-only (want READ_ONLY)", wr.error);
    }
  }
  // Errors.
  mica::Channel none;
  if ((e = OpenNode(data, "NO-SUCH.TXT", OpenFlags::READ, &none)) != Error::NOT_FOUND) {
    Fail("open NO-SUCH.TXT (want NOT_FOUND)", e);
  }
  if ((e = OpenNode(data, "../x", OpenFlags::READ, &none)) != Error::BAD_PATH) {
    Fail("open ../x (want BAD_PATH)", e);
  }
  if ((e = OpenNode(data, "HELLO.TXT", OpenFlags::DIRECTORY, &none)) != Error::NOT_DIRECTORY) {
    Fail("open HELLO.TXT as a directory (want NOT_DIRECTORY)", e);
  }
  // No boot volume here, and one volume did not mount: /boot answers
  // NOT_MOUNTED with that volume's reason.
  mica::Channel bch;
  if (mica::component::Open("/boot", &bch) != MICA_OK) {
    Fail("open /boot", Error::IO);
  } else {
    idl::fs::DirectorySyncClient boot(static_cast<mica::Channel&&>(bch));
    if (boot.ReadDir(rdreq, &rd) != MICA_OK || rd.error != Error::NOT_MOUNTED) {
      Fail("ReadDir of /boot (want NOT_MOUNTED)", rd.error);
    } else {
      printf("fs-test: /boot: %.*s\n", static_cast<int>(rd.detail.size), rd.detail.data);
    }
  }
  return g_failures == 0 ? 0 : 1;
}

Error WriteAll(idl::fs::FileSyncClient& file, uint32_t from, uint32_t to) {
  static File::WriteRequest req;
  for (uint32_t at = from; at < to;) {
    uint32_t n = to - at < 12000 ? to - at : 12000;  // several requests
    req.data.count = 0;
    for (uint32_t i = 0; i < n; ++i) {
      req.data.items[req.data.count++] = PatternByte(at + i);
    }
    File::WriteResponse r;
    if (file.Write(req, &r) != MICA_OK) {
      return Error::IO;
    }
    if (r.error != Error::OK) {
      return r.error;
    }
    at += n;
  }
  return Error::OK;
}

int Write() {
  idl::fs::DirectorySyncClient data;
  if (!OpenData(&data)) {
    return 1;
  }
  const OpenFlags rw = OpenFlags::READ | OpenFlags::WRITE;
  mica::Channel a, b;
  Error e = OpenNode(data, "MICA.TXT", rw | OpenFlags::CREATE | OpenFlags::TRUNCATE, &a);
  if (e != Error::OK) {
    Fail("create MICA.TXT", e);
    return 1;
  }
  if ((e = OpenNode(data, "MICA.TXT", rw, &b)) != Error::OK) {
    Fail("open MICA.TXT twice", e);
    return 1;
  }
  idl::fs::FileSyncClient fa(static_cast<mica::Channel&&>(a));
  idl::fs::FileSyncClient fb(static_cast<mica::Channel&&>(b));
  // The first half through one connection, the rest through the other
  // (its own position: seek there), both on the same node.
  if ((e = WriteAll(fa, 0, kMicaSize / 2)) != Error::OK) {
    Fail("write MICA.TXT", e);
  }
  File::SeekRequest seek;
  seek.whence = idl::fs::Whence::END;
  seek.offset = 0;
  File::SeekResponse sr;
  if (fb.Seek(seek, &sr) != MICA_OK || sr.error != Error::OK || sr.position != kMicaSize / 2) {
    Fail("seek to the end the other connection wrote", sr.error);
  }
  if ((e = WriteAll(fb, kMicaSize / 2, kMicaSize)) != Error::OK) {
    Fail("write MICA.TXT (second connection)", e);
  }
  Directory::MakeDirectoryRequest mk;
  mk.path.Set("Sub Dir");
  Directory::MakeDirectoryResponse mkr;
  if (data.MakeDirectory(mk, &mkr) != MICA_OK || mkr.error != Error::OK) {
    Fail("mkdir Sub Dir", mkr.error);
  }
  mica::Channel c;
  if ((e = OpenNode(data, "Sub Dir/A long name.txt", rw | OpenFlags::CREATE, &c)) != Error::OK) {
    Fail("create Sub Dir/A long name.txt", e);
  } else {
    idl::fs::FileSyncClient fc(static_cast<mica::Channel&&>(c));
    if ((e = WriteAll(fc, 0, 100)) != Error::OK) {
      Fail("write Sub Dir/A long name.txt", e);
    }
  }
  // APPEND: every write at the end, whatever the position.
  mica::Channel ap;
  if ((e = OpenNode(data, "APPEND.TXT", rw | OpenFlags::CREATE | OpenFlags::APPEND, &ap)) !=
      Error::OK) {
    Fail("create APPEND.TXT", e);
  } else {
    idl::fs::FileSyncClient fap(static_cast<mica::Channel&&>(ap));
    File::SeekRequest start;
    start.whence = idl::fs::Whence::START;
    start.offset = 0;
    for (const char* piece : {"ab", "cd"}) {
      File::WriteRequest w;
      w.data.Push(static_cast<uint8_t>(piece[0]));
      w.data.Push(static_cast<uint8_t>(piece[1]));
      File::WriteResponse wr;
      File::SeekResponse ssr;
      if (fap.Write(w, &wr) != MICA_OK || wr.error != Error::OK || wr.written != 2 ||
          fap.Seek(start, &ssr) != MICA_OK) {
        Fail("append to APPEND.TXT", wr.error);
      }
    }
  }
  Directory::SyncRequest sync;
  Directory::SyncResponse syr;
  if (data.Sync(sync, &syr) != MICA_OK || syr.error != Error::OK) {
    Fail("sync", syr.error);
  }
  printf("fs-test: synced\n");
  // Not synced: the service is killed after this.
  mica::Channel u;
  if ((e = OpenNode(data, "UNSYNCED.TXT", rw | OpenFlags::CREATE, &u)) == Error::OK) {
    idl::fs::FileSyncClient fu(static_cast<mica::Channel&&>(u));
    WriteAll(fu, 0, 5000);
  }
  return g_failures == 0 ? 0 : 1;
}

int Check() {
  idl::fs::DirectorySyncClient data;
  if (!OpenData(&data)) {
    return 1;
  }
  mica::Channel fch;
  Error e = OpenNode(data, "mica.txt", OpenFlags::READ, &fch);  // any case
  if (e != Error::OK) {
    Fail("open MICA.TXT", e);
    return 1;
  }
  idl::fs::FileSyncClient file(static_cast<mica::Channel&&>(fch));
  alignas(8) static File::ReadResponse rr;
  File::ReadRequest rreq;
  rreq.count = idl::fs::MAX_TRANSFER;
  uint32_t at = 0;
  for (;;) {
    if (file.Read(rreq, &rr) != MICA_OK || rr.error != Error::OK) {
      Fail("read MICA.TXT", rr.error);
      return 1;
    }
    if (rr.data.count == 0) {
      break;
    }
    for (uint32_t i = 0; i < rr.data.count; ++i, ++at) {
      if (rr.data.items[i] != PatternByte(at)) {
        printf("fs-test: FAIL MICA.TXT byte %u\n", at);
        return 1;
      }
    }
  }
  if (at != kMicaSize) {
    printf("fs-test: FAIL MICA.TXT has %u bytes, not %u\n", at, kMicaSize);
    return 1;
  }
  // Created and written, never synced, then the service was killed: gone.
  mica::Channel none;
  if ((e = OpenNode(data, "UNSYNCED.TXT", OpenFlags::READ, &none)) != Error::NOT_FOUND) {
    Fail("UNSYNCED.TXT after the kill (want NOT_FOUND)", e);
  }
  // Written and not synced: the service's Lifecycle.Stop syncs it.
  mica::Channel late;
  const OpenFlags create = OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE;
  if ((e = OpenNode(data, "LATE.TXT", create, &late)) != Error::OK) {
    Fail("create LATE.TXT", e);
  } else {
    idl::fs::FileSyncClient fl(static_cast<mica::Channel&&>(late));
    if ((e = WriteAll(fl, 0, kLateSize)) != Error::OK) {
      Fail("write LATE.TXT", e);
    }
  }
  return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* step = argc > 1 ? argv[1] : "";
  int status;
  if (strcmp(step, "read") == 0) {
    status = Read();
  } else if (strcmp(step, "write") == 0) {
    status = Write();
  } else if (strcmp(step, "check") == 0) {
    status = Check();
  } else {
    printf("fs-test: usage: fs-test read|write|check\n");
    return 2;
  }
  if (status == 0) {
    printf("fs-test: %s ok\n", step);
  }
  return status;
}
