// bin/blockbench: the driver benchmarks of `./mica bench` (issue 14 §5,
// docs/performance.md), a client of the driver manager's services started
// with drivers.then=bin/blockbench and one drivers.then-arg= word:
//
//   block:<random>:<sequential>:<runs>
//       Opens block/0 (bin/virtio-blk-driver, IDL Block protocol) and
//       measures, in retired instructions (system_get_info
//       MICA_SYSTEM_INFO_INSTRUCTIONS: everything the machine executed,
//       client, driver, manager and kernel, idle excluded), <runs> runs of
//       <random> 4 KiB reads at pseudo-random 4 KiB-aligned offsets and of
//       <sequential> 1 MiB reads from offset 0 up (wrapping at the end of
//       the disk), each 1 MiB read in requests of the driver's max_transfer.
//       Prints the median per KiB: `bench: block_read_4k_random <n>`,
//       `bench: block_read_1m_seq <n>`. test/bench/linux_bench.c does the
//       same with O_DIRECT reads on Linux.
//   restart
//       Opens rtc/0 (bin/pl031), reads it once, waits until the driver's
//       end closes the channel (the boot kills it with drivers.kill=), then
//       opens rtc/0 again every 100 us until a read answers, and prints
//       `bench: info restart answered at <ns> ns ...` (monotonic clock;
//       under -icount exact guest time). bench.py subtracts the manager's
//       `driver-manager: killed process <koid> at <ns> ns`.
//
// Before measuring, the block mode checks the counter against a loop of
// known length (`bench: calibration ...`: 20,000 instructions must count
// exactly 20,000), checks the bytes it reads against the image's pattern
// (bench.py writes it: byte i = i * 7 + (i >> 9)) and that a request one
// block over max_transfer is refused. Errors print
// `bench: error <what>`; the last line is `bench: done`.
#include <idl/block_ipc.h>
#include <idl/rtc_ipc.h>
#include <mica/driver/service.h>
#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/bench/lib/common.h"

namespace {

using bench::Calibrate;
using bench::ImageByte;
using bench::Instructions;
using bench::Median;
using bench::NextSlot;
using idl::block::Block;
using mica::driver::StatusName;

constexpr uint32_t kMaxRuns = 15;
constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kPage = 4096;

mica_time_t Now() {
  mica_time_t t = 0;
  mica_clock_get_monotonic(&t);
  return t;
}

void Error(const char* what, mica_status_t s) {
  printf("bench: error %s: %s\n", what, StatusName(s));
}

// Opens <service_class>/0 speaking P through the manager's service
// directory (<mica/driver/service.h>), trying again every `retry_ns` (for
// at most `tries` times) while it is not (yet, or again) published.
template <typename P>
mica_status_t Open(const char* service_class, mica_duration_t retry_ns, int tries,
                   mica::Channel* out) {
  mica_status_t s = MICA_ERR_TIMED_OUT;
  for (int attempt = 0; attempt < tries; attempt++) {
    s = mica::driver::OpenService<P>(service_class, 0, out);
    if (s != MICA_ERR_NOT_FOUND && s != MICA_ERR_UNAVAILABLE && s != MICA_ERR_PEER_CLOSED) {
      return s;
    }
    mica_nanosleep(Now() + retry_ns);
  }
  return s;
}

// ---- block --------------------------------------------------------------

struct Disk {
  idl::block::BlockSyncClient client;
  mica_handle_t vmo = MICA_HANDLE_INVALID;  // 1 MiB
  uint32_t vmo_id = 0;
  uint64_t blocks = 0;        // 512-byte blocks
  uint64_t max_transfer = 0;  // bytes
};

// `bytes` from byte `offset` of the disk into the VMO at 0, in requests of
// at most max_transfer bytes.
mica_status_t ReadAt(Disk* d, uint64_t offset, uint64_t bytes) {
  for (uint64_t done = 0; done < bytes;) {
    uint64_t n = bytes - done < d->max_transfer ? bytes - done : d->max_transfer;
    Block::ReadRequest req{d->vmo_id, done, (offset + done) / 512, static_cast<uint32_t>(n / 512)};
    Block::ReadResponse r;
    mica_status_t s = d->client.Read(req, &r);
    if (s != MICA_OK || r.status != MICA_OK) {
      return s != MICA_OK ? s : r.status;
    }
    done += n;
  }
  return MICA_OK;
}

// Reads `bytes` at `offset` and compares them with the image's pattern.
bool Verify(Disk* d, uint64_t offset, uint64_t bytes) {
  static uint8_t buf[kMiB];
  mica_status_t s = ReadAt(d, offset, bytes);
  if (s == MICA_OK) {
    s = mica_vmo_read(d->vmo, buf, 0, bytes);
  }
  if (s != MICA_OK) {
    Error("verification read", s);
    return false;
  }
  for (uint64_t i = 0; i < bytes; i++) {
    if (buf[i] != ImageByte(offset + i)) {
      printf("bench: error disk byte %llu reads 0x%02x, the image has 0x%02x\n",
             static_cast<unsigned long long>(offset + i), buf[i], ImageByte(offset + i));
      return false;
    }
  }
  return true;
}

// One block more than max_transfer in one request must be refused.
bool RefusesOverMax(Disk* d) {
  Block::ReadRequest req{d->vmo_id, 0, 0, static_cast<uint32_t>(d->max_transfer / 512 + 1)};
  Block::ReadResponse r;
  mica_status_t s = d->client.Read(req, &r);
  if (s != MICA_OK || r.status != MICA_ERR_OUT_OF_RANGE) {
    printf(
        "bench: error a read of max_transfer + 512 bytes: %s, status %s (want "
        "MICA_ERR_OUT_OF_RANGE)\n",
        StatusName(s), StatusName(r.status));
    return false;
  }
  return true;
}

mica_status_t OpenDisk(Disk* d) {
  mica::Channel ch;
  mica_status_t s = Open<Block>("block", 10'000'000, 500, &ch);
  if (s != MICA_OK) {
    return s;
  }
  d->client = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(ch));
  Block::GetInfoRequest ireq;
  Block::GetInfoResponse info;
  s = d->client.GetInfo(ireq, &info);
  s = s == MICA_OK ? info.status : s;
  if (s != MICA_OK) {
    return s;
  }
  d->blocks = info.info.block_count;
  d->max_transfer = info.info.max_transfer / 512 * 512;
  if (info.info.block_size != 512 || d->max_transfer == 0 || d->blocks < 2 * kMiB / 512 ||
      d->blocks % (kMiB / 512) != 0) {
    printf(
        "bench: error block/0: %llu blocks of %u, max transfer %u (want 512-byte blocks, "
        "whole MiB, at least 2)\n",
        static_cast<unsigned long long>(d->blocks), info.info.block_size, info.info.max_transfer);
    return MICA_ERR_NOT_SUPPORTED;
  }
  s = mica_vmo_create(kMiB, 0, &d->vmo);
  Block::AttachVmoRequest req;
  if (s == MICA_OK) {
    s = mica_handle_duplicate(d->vmo, MICA_RIGHT_SAME_RIGHTS, req.vmo.reset_and_get_address());
  }
  Block::AttachVmoResponse r;
  if (s == MICA_OK) {
    s = d->client.AttachVmo(req, &r);
  }
  d->vmo_id = r.vmo_id;
  return s == MICA_OK ? r.status : s;
}

// Runs `runs` times `count` reads of `bytes` each at the offsets `next`
// gives; prints the median instructions per KiB as `name`.
template <typename NextOffset>
bool Measure(Disk* d, const char* name, uint32_t count, uint32_t runs, uint64_t bytes,
             NextOffset next) {
  uint64_t per_run[kMaxRuns];
  for (uint32_t r = 0; r < runs; r++) {
    uint64_t t0 = 0, t1 = 0;
    if (!Instructions(&t0)) {
      return false;
    }
    for (uint32_t i = 0; i < count; i++) {
      mica_status_t s = ReadAt(d, next(), bytes);
      if (s != MICA_OK) {
        Error(name, s);
        return false;
      }
    }
    Instructions(&t1);
    per_run[r] = t1 - t0;
  }
  const uint64_t t = Median(per_run, runs);
  const uint64_t kib = static_cast<uint64_t>(count) * bytes / 1024;
  printf(
      "bench: info %s: %llu instructions for %u reads of %llu KiB (median of %u runs), %llu "
      "per read\n",
      name, static_cast<unsigned long long>(t), count,
      static_cast<unsigned long long>(bytes / 1024), runs,
      static_cast<unsigned long long>((t + count / 2) / count));
  printf("bench: %s %llu\n", name, static_cast<unsigned long long>((t + kib / 2) / kib));
  return true;
}

bool BlockBench(uint32_t random, uint32_t sequential, uint32_t runs) {
  Disk d;
  mica_status_t s = OpenDisk(&d);
  if (s != MICA_OK) {
    Error("opening block/0", s);
    return false;
  }
  const uint64_t disk_bytes = d.blocks * 512;
  printf("bench: info block/0: %llu KiB, max transfer %llu KiB\n",
         static_cast<unsigned long long>(disk_bytes / 1024),
         static_cast<unsigned long long>(d.max_transfer / 1024));
  if (!Calibrate() || !Verify(&d, 0, kMiB) || !Verify(&d, disk_bytes - kMiB, kMiB) ||
      !RefusesOverMax(&d)) {
    return false;
  }
  uint64_t state = 1;
  const uint64_t slots = disk_bytes / kPage;
  auto random_offset = [&state, slots] { return NextSlot(&state, slots) * kPage; };
  uint64_t at = 0;
  auto sequential_offset = [&at, disk_bytes] {
    uint64_t o = at;
    at = (at + kMiB) % disk_bytes;
    return o;
  };
  // Warm-up: a tenth of each, as bin/bench does.
  for (uint32_t i = 0; i < random / 10 + 1; i++) {
    if ((s = ReadAt(&d, random_offset(), kPage)) != MICA_OK) {
      Error("warm-up", s);
      return false;
    }
  }
  return Measure(&d, "block_read_4k_random", random, runs, kPage, random_offset) &&
         Measure(&d, "block_read_1m_seq", sequential, runs, kMiB, sequential_offset);
}

// ---- restart ------------------------------------------------------------

// One Get on the rtc service (IDL rtc.Rtc, system/idl/rtc.idl).
mica_status_t ReadRtc(idl::rtc::RtcSyncClient& client, uint64_t* seconds) {
  idl::rtc::Rtc::GetRequest req;
  idl::rtc::Rtc::GetResponse r;
  mica_status_t s = client.Get(req, &r);
  s = s == MICA_OK ? r.status : s;
  *seconds = static_cast<uint64_t>(r.utc_seconds);
  return s;
}

bool RestartBench() {
  mica::Channel ch;
  uint64_t seconds = 0;
  mica_status_t s = Open<idl::rtc::Rtc>("rtc", 10'000'000, 500, &ch);
  const mica_handle_t watched = ch.get();
  idl::rtc::RtcSyncClient client(static_cast<mica::Channel&&>(ch));
  if (s == MICA_OK) {
    s = ReadRtc(client, &seconds);
  }
  if (s != MICA_OK) {
    Error("reading rtc/0", s);
    return false;
  }
  printf("bench: info restart: rtc/0 reads %llu; waiting for the driver's end\n",
         static_cast<unsigned long long>(seconds));
  mica_signals_t seen = 0;
  s = mica_object_wait_one(watched, MICA_CHANNEL_PEER_CLOSED, Now() + 60'000'000'000, &seen);
  const mica_time_t closed = Now();
  if (s != MICA_OK) {
    Error("waiting for rtc/0 to close", s);
    return false;
  }
  // Every 100 us: an attempt costs a few thousand instructions (tens of
  // microseconds under -icount shift=4), so polling faster would slow the
  // restart it measures on the one CPU.
  int attempts = 0;
  for (; attempts < 100000; attempts++) {
    mica::Channel again;
    s = Open<idl::rtc::Rtc>("rtc", 100'000, 100000, &again);
    if (s != MICA_OK) {
      break;
    }
    idl::rtc::RtcSyncClient next(static_cast<mica::Channel&&>(again));
    s = ReadRtc(next, &seconds);
    if (s != MICA_ERR_PEER_CLOSED) {
      break;
    }
  }
  const mica_time_t answered = Now();
  if (s != MICA_OK) {
    Error("reading rtc/0 again", s);
    return false;
  }
  printf(
      "bench: info restart answered at %lld ns (channel closed seen at %lld ns, %d reopen "
      "rounds); rtc/0 reads %llu\n",
      static_cast<long long>(answered), static_cast<long long>(closed), attempts + 1,
      static_cast<unsigned long long>(seconds));
  return true;
}

bool ParseBlock(const char* arg, uint32_t* random, uint32_t* sequential, uint32_t* runs) {
  char* end = nullptr;
  *random = static_cast<uint32_t>(strtoul(arg, &end, 10));
  if (*end != ':') {
    return false;
  }
  *sequential = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  if (*end != ':') {
    return false;
  }
  *runs = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  return *end == '\0' && *random > 0 && *sequential > 0 && *runs > 0 && *runs <= kMaxRuns;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  bool ok = false;
  uint32_t random = 0, sequential = 0, runs = 0;
  if (mica::driver::ServiceDirectory() == MICA_HANDLE_INVALID) {
    printf("bench: error no channel to the driver manager (drivers.then=bin/blockbench)\n");
  } else if (strncmp(mode, "block:", 6) == 0 && ParseBlock(mode + 6, &random, &sequential, &runs)) {
    printf("bench: start block random=%u sequential=%u runs=%u\n", random, sequential, runs);
    ok = BlockBench(random, sequential, runs);
  } else if (strcmp(mode, "restart") == 0) {
    ok = RestartBench();
  } else {
    printf("bench: error usage: blockbench block:<random>:<sequential>:<runs> | restart\n");
  }
  printf("bench: done%s\n", ok ? "" : " (failed)");
  return ok ? 0 : 1;
}
