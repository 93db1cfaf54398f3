// bin/virtio-client: a client of the virtio driver processes, through the
// driver manager (started with drivers.then=bin/virtio-client; the harness's
// drivers/virt-virtio-* cases). It opens `block/0`, `entropy/0` and
// `network/0` through the manager's service directory
// (<mica/driver/service.h>) and speaks the IDL Block, Entropy and
// net.Device protocols (system/idl/block.idl, entropy.idl, net.idl).
//
// Line protocol: `virtio-client: PASS|FAIL <name>[: why]`, then
// `virtio-client: done passed=N failed=M`.
//   block-info    capacity 2048 blocks of 512 bytes, writable, flush
//   block-read    the image's host pattern reads back (64 KiB requests)
//   block-write   the first half rewritten with the guest pattern, flushed,
//                 read back (the harness checks every byte afterwards)
//   block-dma     requests the driver DMAs straight into the VMO as
//                 multi-segment chains: the whole disk (1 MiB, 256 pages,
//                 more than QEMU's seg_max) in one Read; the whole disk
//                 into a second VMO at the unaligned offset 777 (every page
//                 boundary mid-sector) and written back from there (the
//                 disk must not change); a 16 MiB + 4 KiB VMO refused;
//                 two more clients reading the whole disk at once into
//                 their own VMOs while one of them detaches its VMO with
//                 its read still in flight (the read still lands, later
//                 reads name an unknown id)
//   entropy       1 KiB in four Get(256) calls, > 200 distinct byte values
//   network       network/0 (IDL net.Device): GetInfo gives a MAC; an ARP
//                 request for QEMU's user-network gateway (restrict=on:
//                 nothing leaves the machine) gets its reply
// With the argument `--reread` it then reads the second half over and over
// for up to 8 s (the case kills the block driver meanwhile with
// drivers.kill=): on PEER_CLOSED it prints the line below, opens block/0
// again (the restarted driver's), attaches its VMO again and goes on;
//   block-reconnect  PEER_CLOSED seen, then a full correct read after it.
// With `--watch=<class>` (block, entropy, network or rtc) it is the fault
// campaign's client (docs/drivers.md, "Fault campaign"): it opens
// <class>/0, uses it (block: the whole disk reads right, the first
// connection also runs the block tests above; entropy: 1 KiB, > 200
// distinct values; network: the ARP reply; rtc: a time after 2020), prints
//   virtio-client: <class>/0 works (connection <k>)
// and waits idle for the driver to end; then, on PEER_CLOSED, prints
//   virtio-client: <class>/0 closed: MICA_ERR_PEER_CLOSED while idle|with a
//   request in flight; reconnecting
// and opens the next instance, until the manager stops it. A failure
// prints `virtio-client: FAIL <class>: <why>`.
// Patterns: as bin/virtio-test (HostByte, GuestByte; qemu_jobs.py).
#include <idl/block_ipc.h>
#include <idl/entropy_ipc.h>
#include <idl/net_ipc.h>
#include <mica/async/loop.h>
#include <mica/driver/service.h>
#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/test/patterns.h"

namespace {

using idl::block::Block;
using idl::entropy::Entropy;
using mica::driver::StatusName;

constexpr uint64_t kBlocks = 2048;
constexpr uint32_t kBytes = kBlocks * 512;
constexpr uint32_t kPiece = 64 * 1024;

int g_passed = 0;
int g_failed = 0;
uint8_t g_buf[kBytes];

void Result(const char* name, bool ok, const char* fmt = "", ...) {
  char why[160] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  (ok ? g_passed : g_failed)++;
  if (ok) {
    printf("virtio-client: PASS %s\n", name);
  } else {
    printf("virtio-client: FAIL %s: %s\n", name, why);
  }
}

using mica::virtio::testing::GuestByte;
using mica::virtio::testing::HostByte;

mica_time_t Now() {
  mica_time_t t = 0;
  mica_clock_get_monotonic(&t);
  return t;
}

// Opens <service_class>/0 through the manager's service directory
// (<mica/driver/service.h>) with the protocol that class speaks, waiting up
// to 5 s while it is not (yet, or again) published.
mica_status_t Open(const char* service_class, mica::Channel* out) {
  constexpr mica_duration_t kWait = 5'000'000'000;
  if (strcmp(service_class, "block") == 0) {
    return mica::driver::WaitForService<Block>(service_class, 0, kWait, out);
  }
  if (strcmp(service_class, "entropy") == 0) {
    return mica::driver::WaitForService<Entropy>(service_class, 0, kWait, out);
  }
  if (strcmp(service_class, "network") == 0) {
    return mica::driver::WaitForService<idl::net::Device>(service_class, 0, kWait, out);
  }
  return MICA_ERR_NOT_FOUND;
}

struct Disk {
  idl::block::BlockSyncClient client;
  mica_handle_t vmo = MICA_HANDLE_INVALID;  // the client's 1 MiB buffer
  uint32_t vmo_id = 0;
};

mica_status_t Attach(Disk* d) {
  Block::AttachVmoRequest req;
  mica_status_t s =
      mica_handle_duplicate(d->vmo, MICA_RIGHT_SAME_RIGHTS, req.vmo.reset_and_get_address());
  Block::AttachVmoResponse r;
  if (s == MICA_OK) {
    s = d->client.AttachVmo(req, &r);
  }
  if (s == MICA_OK) {
    s = r.status;
  }
  d->vmo_id = r.vmo_id;
  return s;
}

// Reads or writes blocks [first, first+count) through the VMO at the same
// offset, in 64 KiB requests.
mica_status_t Transfer(Disk* d, bool write, uint64_t first, uint64_t count) {
  for (uint64_t at = first; at < first + count; at += kPiece / 512) {
    uint32_t n = static_cast<uint32_t>(first + count - at < kPiece / 512 ? first + count - at
                                                                         : kPiece / 512);
    mica_status_t s, status;
    if (write) {
      Block::WriteRequest req{d->vmo_id, at * 512, at, n};
      Block::WriteResponse r;
      s = d->client.Write(req, &r);
      status = r.status;
    } else {
      Block::ReadRequest req{d->vmo_id, at * 512, at, n};
      Block::ReadResponse r;
      s = d->client.Read(req, &r);
      status = r.status;
    }
    if (s != MICA_OK) {
      return s;
    }
    if (status != MICA_OK) {
      return status;
    }
  }
  return MICA_OK;
}

// The first byte in [from, to) of the VMO that differs from `expect`, or -1.
int64_t Check(Disk* d, uint64_t from, uint64_t to, uint8_t (*expect)(uint64_t)) {
  if (mica_vmo_read(d->vmo, g_buf + from, from, to - from) != MICA_OK) {
    return static_cast<int64_t>(from);
  }
  for (uint64_t i = from; i < to; i++) {
    if (g_buf[i] != expect(i)) {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

void TestBlock(Disk* d) {
  Block::GetInfoRequest ireq;
  Block::GetInfoResponse info;
  mica_status_t s = d->client.GetInfo(ireq, &info);
  const uint32_t flags = static_cast<uint32_t>(info.info.flags);
  Result("block-info",
         s == MICA_OK && info.status == MICA_OK && info.info.block_count == kBlocks &&
             info.info.block_size == 512 && (flags & 1) == 0 && (flags & 2) != 0,
         "%s, %llu blocks of %u, flags 0x%x", StatusName(s),
         static_cast<unsigned long long>(info.info.block_count), info.info.block_size, flags);
  s = Transfer(d, false, 0, kBlocks);
  int64_t bad = s == MICA_OK ? Check(d, 0, kBytes, HostByte) : 0;
  Result("block-read", s == MICA_OK && bad < 0, "%s, byte %lld", StatusName(s),
         static_cast<long long>(bad));
  for (uint64_t i = 0; i < kBytes / 2; i++) {
    g_buf[i] = GuestByte(i);
  }
  s = mica_vmo_write(d->vmo, g_buf, 0, kBytes / 2);
  if (s == MICA_OK) {
    s = Transfer(d, true, 0, kBlocks / 2);
  }
  if (s == MICA_OK) {
    Block::FlushRequest freq;
    Block::FlushResponse fr;
    s = d->client.Flush(freq, &fr);
    s = s == MICA_OK ? fr.status : s;
  }
  if (s == MICA_OK) {
    memset(g_buf, 0, kBytes / 2);
    s = mica_vmo_write(d->vmo, g_buf, 0, kBytes / 2);
  }
  if (s == MICA_OK) {
    s = Transfer(d, false, 0, kBlocks / 2);
  }
  bad = s == MICA_OK ? Check(d, 0, kBytes / 2, GuestByte) : 0;
  Result("block-write", s == MICA_OK && bad < 0, "%s, byte %lld", StatusName(s),
         static_cast<long long>(bad));
}

// The disk as block-write leaves it: the guest pattern, then the host's.
uint8_t DiskByte(uint64_t i) {
  return i < kBytes / 2 ? GuestByte(i) : HostByte(i);
}

mica_status_t Call(Disk* d, bool write, uint32_t vmo_id, uint64_t offset, uint64_t first,
                   uint32_t count) {
  mica_status_t s, status;
  if (write) {
    Block::WriteRequest req{vmo_id, offset, first, count};
    Block::WriteResponse r;
    s = d->client.Write(req, &r);
    status = r.status;
  } else {
    Block::ReadRequest req{vmo_id, offset, first, count};
    Block::ReadResponse r;
    s = d->client.Read(req, &r);
    status = r.status;
  }
  return s != MICA_OK ? s : status;
}

// The first byte of [0, kBytes) at `offset` in `vmo` that is not the disk's.
int64_t CheckVmo(mica_handle_t vmo, uint64_t offset) {
  if (mica_vmo_read(vmo, g_buf, offset, kBytes) != MICA_OK) {
    return 0;
  }
  for (uint64_t i = 0; i < kBytes; i++) {
    if (g_buf[i] != DiskByte(i)) {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

mica_status_t ClearVmo(mica_handle_t vmo, uint64_t size) {
  memset(g_buf, 0xee, kBytes);
  for (uint64_t at = 0; at < size; at += kBytes) {
    const uint64_t n = size - at < kBytes ? size - at : kBytes;
    if (mica_status_t s = mica_vmo_write(vmo, g_buf, at, n); s != MICA_OK) {
      return s;
    }
  }
  return MICA_OK;
}

// One more connection with its own VMO, used from a loop.
struct Side {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  uint32_t vmo_id = 0;
  idl::block::BlockAsyncClient* client = nullptr;
  mica_status_t read = MICA_ERR_SHOULD_WAIT;
  mica_status_t detach = MICA_ERR_SHOULD_WAIT;
};

mica_status_t OpenSide(mica::async::Loop* loop, uint64_t vmo_size, Side* side) {
  mica::Channel ch;
  mica_status_t s = Open("block", &ch);
  Disk sync;
  if (s == MICA_OK) {
    s = mica_vmo_create(vmo_size, 0, &side->vmo);
  }
  if (s == MICA_OK) {
    s = ClearVmo(side->vmo, vmo_size);
  }
  if (s == MICA_OK) {
    sync.client = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(ch));
    sync.vmo = side->vmo;
    s = Attach(&sync);
    side->vmo_id = sync.vmo_id;
  }
  if (s == MICA_OK) {
    side->client = new idl::block::BlockAsyncClient(loop, sync.client.TakeChannel());
    s = side->client->Begin();  // its wait on the loop for replies
  }
  return s;
}

// Two clients read the whole disk at once; the first detaches its VMO
// while its read is still in flight.
void TestTwoClients() {
  mica::async::Loop loop;
  Side a, b;
  mica_status_t s = OpenSide(&loop, kBytes, &a);
  if (s == MICA_OK) {
    s = OpenSide(&loop, kBytes + 8192, &b);
  }
  if (s != MICA_OK) {
    return Result("block-dma", false, "second and third client: %s", StatusName(s));
  }
  Block::ReadRequest ra{a.vmo_id, 0, 0, kBlocks};
  Block::ReadRequest rb{b.vmo_id, 4096 + 512, 0, kBlocks};
  Block::DetachVmoRequest da{a.vmo_id};
  s = a.client->Read(ra, [&a](mica_status_t st, Block::ReadResponse* r) {
    a.read = st != MICA_OK ? st : r->status;
  });
  if (s == MICA_OK) {
    s = b.client->Read(rb, [&b](mica_status_t st, Block::ReadResponse* r) {
      b.read = st != MICA_OK ? st : r->status;
    });
  }
  if (s == MICA_OK) {
    s = a.client->DetachVmo(da, [&a](mica_status_t st, Block::DetachVmoResponse* r) {
      a.detach = st != MICA_OK ? st : r->status;
    });
  }
  printf("virtio-client: block-dma: two clients reading\n");
  const mica_time_t deadline = Now() + 1'500'000'000;
  while (s == MICA_OK && Now() < deadline &&
         (a.read == MICA_ERR_SHOULD_WAIT || b.read == MICA_ERR_SHOULD_WAIT ||
          a.detach == MICA_ERR_SHOULD_WAIT)) {
    loop.RunOnce(deadline);
  }
  const int64_t bad_a = CheckVmo(a.vmo, 0);
  const int64_t bad_b = CheckVmo(b.vmo, 4096 + 512);
  Block::ReadRequest again{a.vmo_id, 0, 0, 1};
  mica_status_t after = MICA_ERR_SHOULD_WAIT;
  if (s == MICA_OK) {
    a.client->Read(again, [&after](mica_status_t st, Block::ReadResponse* r) {
      after = st != MICA_OK ? st : r->status;
    });
    while (after == MICA_ERR_SHOULD_WAIT && Now() < deadline) {
      loop.RunOnce(deadline);
    }
  }
  Result("block-dma",
         s == MICA_OK && a.read == MICA_OK && b.read == MICA_OK && a.detach == MICA_OK &&
             bad_a < 0 && bad_b < 0 && after == MICA_ERR_NOT_FOUND,
         "two clients: %s, reads %s %s, detach %s, bytes %lld %lld, read after detach %s",
         StatusName(s), StatusName(a.read), StatusName(b.read), StatusName(a.detach),
         static_cast<long long>(bad_a), static_cast<long long>(bad_b), StatusName(after));
  delete a.client;
  delete b.client;
  mica_handle_close(a.vmo);
  mica_handle_close(b.vmo);
}

void TestBlockDma(Disk* d) {
  // The whole disk in one request: 256 pages, more than seg_max (126).
  mica_status_t s = ClearVmo(d->vmo, kBytes);
  if (s == MICA_OK) {
    s = Call(d, false, d->vmo_id, 0, 0, kBlocks);
  }
  int64_t bad = s == MICA_OK ? CheckVmo(d->vmo, 0) : 0;
  if (s != MICA_OK || bad >= 0) {
    return Result("block-dma", false, "1 MiB read: %s, byte %lld", StatusName(s),
                  static_cast<long long>(bad));
  }
  printf("virtio-client: block-dma: 1 MiB read right\n");
  // Unaligned: every page boundary falls mid-sector.
  constexpr uint64_t kOdd = 777;
  Disk odd;
  odd.client = idl::block::BlockSyncClient(d->client.TakeChannel());
  s = mica_vmo_create(kBytes + 8192, 0, &odd.vmo);
  if (s == MICA_OK) {
    s = ClearVmo(odd.vmo, kBytes + 8192);
  }
  if (s == MICA_OK) {
    s = Attach(&odd);
  }
  if (s == MICA_OK) {
    s = Call(&odd, false, odd.vmo_id, kOdd, 0, kBlocks);
  }
  bad = s == MICA_OK ? CheckVmo(odd.vmo, kOdd) : 0;
  // Written back from there: the disk must not change (the host checks it).
  if (s == MICA_OK && bad < 0) {
    s = Call(&odd, true, odd.vmo_id, kOdd, 0, kBlocks);
  }
  if (s == MICA_OK && bad < 0) {
    s = ClearVmo(d->vmo, kBytes);
  }
  if (s == MICA_OK && bad < 0) {
    s = Call(&odd, false, d->vmo_id, 0, 0, kBlocks);
    bad = s == MICA_OK ? CheckVmo(d->vmo, 0) : 0;
  }
  // Too large to pin: refused with OUT_OF_RANGE (block.idl).
  mica_handle_t big = MICA_HANDLE_INVALID;
  mica_status_t too_big = mica_vmo_create((16u << 20) + 4096, 0, &big);
  if (too_big == MICA_OK) {
    Disk large;
    large.client = idl::block::BlockSyncClient(odd.client.TakeChannel());
    large.vmo = big;
    too_big = Attach(&large);
    odd.client = idl::block::BlockSyncClient(large.client.TakeChannel());
    mica_handle_close(big);
  }
  Block::DetachVmoRequest dreq{odd.vmo_id};
  Block::DetachVmoResponse dr;
  if (s == MICA_OK) {
    s = odd.client.DetachVmo(dreq, &dr);
    s = s == MICA_OK ? dr.status : s;
  }
  mica_handle_close(odd.vmo);
  d->client = idl::block::BlockSyncClient(odd.client.TakeChannel());
  if (s != MICA_OK || bad >= 0 || too_big != MICA_ERR_OUT_OF_RANGE) {
    return Result("block-dma", false, "unaligned: %s, byte %lld; 16 MiB + 4 KiB: %s", StatusName(s),
                  static_cast<long long>(bad), StatusName(too_big));
  }
  printf("virtio-client: block-dma: unaligned read and write right\n");
  TestTwoClients();
}

// Four Get(256) on an open entropy connection: 1 KiB, > 200 distinct values.
mica_status_t UseEntropy(idl::entropy::EntropySyncClient& client, char* why, size_t size) {
  bool seen[256] = {};
  int distinct = 0;
  uint32_t total = 0;
  mica_status_t s = MICA_OK;
  for (int i = 0; i < 4 && s == MICA_OK; i++) {
    Entropy::GetRequest req;
    req.count = idl::entropy::MAX_BYTES;
    Entropy::GetResponse r;
    s = client.Get(req, &r);
    s = s == MICA_OK ? r.status : s;
    for (uint32_t k = 0; s == MICA_OK && k < r.data.count; k++) {
      distinct += seen[r.data.items[k]] ? 0 : 1;
      seen[r.data.items[k]] = true;
    }
    total += s == MICA_OK ? r.data.count : 0;
  }
  snprintf(why, size, "%s, %u bytes, %d distinct values", StatusName(s), total, distinct);
  return s != MICA_OK ? s : total == 1024 && distinct > 200 ? MICA_OK : MICA_ERR_IO_DATA_INTEGRITY;
}

void TestEntropy() {
  mica::Channel ch;
  mica_status_t s = Open("entropy", &ch);
  if (s != MICA_OK) {
    return Result("entropy", false, "open entropy/0: %s", StatusName(s));
  }
  char why[96];
  idl::entropy::EntropySyncClient client(static_cast<mica::Channel&&>(ch));
  s = UseEntropy(client, why, sizeof(why));
  Result("entropy", s == MICA_OK, "%s", why);
}

// QEMU's user network (slirp): the guest is 10.0.2.15, the gateway 10.0.2.2.
constexpr uint8_t kGuestIp[4] = {10, 0, 2, 15};
constexpr uint8_t kGatewayIp[4] = {10, 0, 2, 2};

// An ARP request for the gateway on an open network connection gets its
// reply.
mica_status_t UseNetwork(idl::net::DeviceSyncClient& client, char* why, size_t size) {
  client.set_deadline(Now() + 5'000'000'000);
  idl::net::Device::GetInfoRequest ireq;
  idl::net::Device::GetInfoResponse info;
  mica_status_t s = client.GetInfo(ireq, &info);
  if (s != MICA_OK || info.status != MICA_OK || info.info.mac.count != 6) {
    snprintf(why, size, "info: %s, %u MAC bytes", StatusName(s), info.info.mac.count);
    return s != MICA_OK ? s : MICA_ERR_IO_DATA_INTEGRITY;
  }
  uint8_t mac[6];
  memcpy(mac, info.info.mac.items, 6);
  // RFC 826 request, in a minimum-size (60-byte) Ethernet frame.
  uint8_t frame[60] = {};
  memset(frame, 0xff, 6);
  memcpy(frame + 6, mac, 6);
  frame[12] = 0x08;
  frame[13] = 0x06;
  const uint8_t arp_head[8] = {0, 1, 0x08, 0x00, 6, 4, 0, 1};
  memcpy(frame + 14, arp_head, 8);
  memcpy(frame + 22, mac, 6);
  memcpy(frame + 28, kGuestIp, 4);
  memcpy(frame + 38, kGatewayIp, 4);
  idl::net::Device::SendRequest sreq;
  for (uint8_t b : frame) {
    sreq.frame.Push(b);
  }
  idl::net::Device::SendResponse sr;
  s = client.Send(sreq, &sr);
  s = s == MICA_OK ? sr.status : s;
  if (s != MICA_OK) {
    snprintf(why, size, "send: %s", StatusName(s));
    return s;
  }
  for (int frames = 0; frames < 16; frames++) {
    idl::net::Device::ReceiveRequest rreq;
    idl::net::Device::ReceiveResponse r;
    s = client.Receive(rreq, &r);
    s = s == MICA_OK ? r.status : s;
    if (s != MICA_OK) {
      snprintf(why, size, "receive: %s after %d frames", StatusName(s), frames);
      return s;
    }
    const uint8_t* in = r.frame.items;
    if (r.frame.count >= 42 && in[12] == 0x08 && in[13] == 0x06 && in[21] == 2 &&
        memcmp(in + 28, kGatewayIp, 4) == 0 && memcmp(in + 32, mac, 6) == 0) {
      printf("virtio-client: gateway 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", in[22],
             in[23], in[24], in[25], in[26], in[27]);
      return MICA_OK;
    }
  }
  snprintf(why, size, "no ARP reply in 16 frames");
  return MICA_ERR_IO_DATA_INTEGRITY;
}

void TestNetwork() {
  mica::Channel ch;
  mica_status_t s = Open("network", &ch);
  if (s != MICA_OK) {
    return Result("network", false, "open network/0: %s", StatusName(s));
  }
  char why[96] = "";
  idl::net::DeviceSyncClient client(static_cast<mica::Channel&&>(ch));
  s = UseNetwork(client, why, sizeof(why));
  Result("network", s == MICA_OK, "%s", why);
}

// Reads the second half until the driver has been killed and a whole read
// after reconnecting is right.
void TestReconnect(Disk* d) {
  const mica_time_t deadline = Now() + 8'000'000'000;
  bool closed = false;
  uint32_t reads = 0;
  while (Now() < deadline) {
    mica_status_t s = Transfer(d, false, kBlocks / 2, kBlocks / 2);
    if (s == MICA_ERR_PEER_CLOSED && !closed) {
      closed = true;
      printf("virtio-client: block/0 closed: %s after %u reads; reconnecting\n", StatusName(s),
             reads);
      mica::Channel ch;
      s = Open("block", &ch);
      if (s == MICA_OK) {
        d->client = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(ch));
        s = Attach(d);
      }
      if (s != MICA_OK) {
        return Result("block-reconnect", false, "reopening block/0: %s", StatusName(s));
      }
      continue;
    }
    if (s != MICA_OK) {
      return Result("block-reconnect", false, "read: %s", StatusName(s));
    }
    int64_t bad = Check(d, kBytes / 2, kBytes, HostByte);
    if (bad >= 0) {
      return Result("block-reconnect", false, "byte %lld", static_cast<long long>(bad));
    }
    reads++;
    if (closed) {
      printf("virtio-client: block/0 read right after reconnecting\n");
      return Result("block-reconnect", true);
    }
  }
  Result("block-reconnect", false, "no PEER_CLOSED in 8 s (%u reads)", reads);
}

// --watch: the whole disk reads right (the first half as block-write left
// it, the second the host pattern). On the first connection the block
// tests run first (their write is what the host checks afterwards).
mica_status_t UseBlock(Disk* d, bool first, char* why, size_t size) {
  mica_status_t s = Attach(d);
  if (s == MICA_OK && first) {
    TestBlock(d);
  }
  if (s == MICA_OK) {
    s = Transfer(d, false, 0, kBlocks);
  }
  int64_t bad = s == MICA_OK ? Check(d, 0, kBytes / 2, GuestByte) : -1;
  if (s == MICA_OK && bad < 0) {
    bad = Check(d, kBytes / 2, kBytes, HostByte);
  }
  snprintf(why, size, "%s, byte %lld", StatusName(s), static_cast<long long>(bad));
  return s != MICA_OK ? s : bad < 0 ? MICA_OK : MICA_ERR_IO_DATA_INTEGRITY;
}

// --watch=<class>: see the top of this file. Runs until the manager ends it.
int Watch(const char* cls) {
  Disk d;  // the clients of the connection being watched
  idl::entropy::EntropySyncClient rng;
  idl::net::DeviceSyncClient net;
  if (strcmp(cls, "block") == 0 && mica_vmo_create(kBytes, 0, &d.vmo) != MICA_OK) {
    return 1;
  }
  for (uint32_t k = 0;; k++) {
    mica::Channel ch;
    mica_status_t s = Open(cls, &ch);
    if (s != MICA_OK) {
      printf("virtio-client: FAIL %s: open %s/0: %s\n", cls, cls, StatusName(s));
      return 1;
    }
    mica_handle_t watched = ch.get();
    char why[96] = "";
    if (strcmp(cls, "block") == 0) {
      d.client = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(ch));
      s = UseBlock(&d, k == 0, why, sizeof(why));
    } else if (strcmp(cls, "entropy") == 0) {
      rng = idl::entropy::EntropySyncClient(static_cast<mica::Channel&&>(ch));
      s = UseEntropy(rng, why, sizeof(why));
    } else if (strcmp(cls, "network") == 0) {
      net = idl::net::DeviceSyncClient(static_cast<mica::Channel&&>(ch));
      s = UseNetwork(net, why, sizeof(why));
    } else {
      printf("virtio-client: FAIL %s: no such class to watch\n", cls);
      return 1;
    }
    if (s == MICA_ERR_PEER_CLOSED) {
      printf("virtio-client: %s/0 closed: %s with a request in flight; reconnecting\n", cls,
             StatusName(s));
      continue;
    }
    if (s != MICA_OK) {
      printf("virtio-client: FAIL %s: %s\n", cls, why);
      return 1;
    }
    printf("virtio-client: %s/0 works (connection %u)\n", cls, k);
    mica_signals_t seen = 0;
    s = mica_object_wait_one(watched, MICA_CHANNEL_PEER_CLOSED, MICA_TIME_INFINITE, &seen);
    printf("virtio-client: %s/0 closed: %s while idle; reconnecting\n", cls,
           StatusName(s == MICA_OK ? MICA_ERR_PEER_CLOSED : s));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool have_directory = mica::driver::ServiceDirectory() != MICA_HANDLE_INVALID;
  if (argc > 1 && strncmp(argv[1], "--watch=", 8) == 0 && have_directory) {
    return Watch(argv[1] + 8);
  }
  const bool reread = argc > 1 && strcmp(argv[1], "--reread") == 0;
  printf("virtio-client: start %d\n", reread ? 7 : 6);
  Disk d;
  mica::Channel ch;
  mica_status_t s = have_directory ? Open("block", &ch) : MICA_ERR_BAD_STATE;
  if (s == MICA_OK) {
    d.client = idl::block::BlockSyncClient(static_cast<mica::Channel&&>(ch));
    s = mica_vmo_create(kBytes, 0, &d.vmo);
  }
  if (s == MICA_OK) {
    s = Attach(&d);
  }
  if (s != MICA_OK) {
    Result("block-info", false, "open block/0: %s", StatusName(s));
  } else {
    TestBlock(&d);
    TestBlockDma(&d);
  }
  if (have_directory) {
    TestEntropy();
    TestNetwork();
  }
  if (reread && s == MICA_OK) {
    TestReconnect(&d);
  }
  printf("virtio-client: done passed=%d failed=%d\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
