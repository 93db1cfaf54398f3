// bin/virtio-test: the virtio logic (transport, virtqueue, virtio-rng,
// virtio-blk) against QEMU's real devices, in-target, before the driver
// manager runs them as driver processes. Started by userboot with the root
// resource (userboot.next=bin/virtio-test userboot.arg=legacy|modern); the
// harness's virtio/<config> cases boot QEMU with a virtio-rng-device and a
// virtio-blk-device over a 1 MiB image it made (docs/testing.md).
//
// Line protocol (as core-tests): `virtio-test: PASS|FAIL <name>` then
// `virtio-test: done passed=N failed=M`.
//   probe  every one of QEMU virt's 32 transports has the magic and the
//          expected version; exactly one entropy and one block device
//   rng    4 KiB of entropy through one-page DMA buffers
//   blk    the image's host pattern reads back in full with many requests
//          in flight; the first half is rewritten with the guest pattern,
//          flushed and read back (the harness checks every byte of the
//          image afterwards)
//   net    an ARP request for the gateway of QEMU's user network (restrict=on,
//          nothing leaves the machine) gets its reply
//   rng-interrupt  the entropy device again, restarted, driven by its
//          interrupt instead of polling: interrupt_wait, then Read (which
//          acknowledges InterruptStatus), until 4 KiB (QEMU virt wires transport
//          i to SPI 16 + i, GIC INTID 48 + i)
//
// QEMU virt's transports: 32 windows of 0x200 bytes from 0x0a000000
// (hw/arm/virt.c, VIRT_MMIO and NUM_VIRTIO_TRANSPORTS). The test finds its
// devices by device ID, never by address (QEMU fills from the top down).
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/block/virtio-blk/virtio_blk.h"
#include "drivers/entropy/virtio-rng/virtio_rng.h"
#include "drivers/net/virtio-net/virtio_net.h"
#include "drivers/virtio/lib/vmo_dma.h"
#include "drivers/virtio/test/patterns.h"

namespace {

using namespace mica::virtio;

constexpr uint64_t kTransportBase = 0x0a000000;
constexpr uint32_t kTransports = 32;
constexpr uint32_t kWindow = 0x200;
constexpr uint64_t kImageSectors = 2048;  // the harness's 1 MiB image

int g_passed = 0;
int g_failed = 0;

void Result(const char* name, bool ok, const char* fmt = "", ...) {
  char reason[160] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  if (ok) {
    g_passed++;
    printf("virtio-test: PASS %s\n", name);
  } else {
    g_failed++;
    printf("virtio-test: FAIL %s: %s\n", name, reason);
  }
}

using mica::virtio::testing::GuestByte;
using mica::virtio::testing::HostByte;

mica_time_t Now() {
  mica_time_t t = 0;
  mica_clock_get_monotonic(&t);
  return t;
}

struct Transports {
  mica::driver::MmioRegion regions[kTransports];
  bool ok = false;
};

bool MapTransports(Transports* t) {
  mica_handle_t vmo;
  if (mica_vmo_create_physical(mica_rt_root_resource(), kTransportBase, kTransports * kWindow,
                               &vmo) != MICA_OK) {
    return false;
  }
  mica_vaddr_t addr = 0;
  mica_status_t s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0,
                                  vmo, 0, kTransports * kWindow, &addr);
  mica_handle_close(vmo);
  if (s != MICA_OK) {
    return false;
  }
  for (uint32_t i = 0; i < kTransports; i++) {
    t->regions[i] =
        mica::driver::MmioRegion(reinterpret_cast<volatile void*>(addr + i * kWindow), kWindow);
  }
  return true;
}

// The index of the one transport with `device_id`, or -1.
int Find(Transports& t, uint32_t device_id) {
  for (uint32_t i = 0; i < kTransports; i++) {
    MmioTransport probe(t.regions[i]);
    if (probe.Probe() == Status::kOk && probe.device_id() == device_id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void TestProbe(Transports& t, uint32_t version) {
  int bad = 0, rng = 0, blk = 0, net = 0;
  for (uint32_t i = 0; i < kTransports; i++) {
    MmioTransport probe(t.regions[i]);
    if (probe.Probe() != Status::kOk || probe.version() != version) {
      bad++;
      continue;
    }
    if (probe.device_id() != 0) {
      printf("virtio-test: transport %u (0x%llx): device %u, version %u\n", i,
             static_cast<unsigned long long>(kTransportBase + i * kWindow), probe.device_id(),
             probe.version());
    }
    rng += probe.device_id() == kDeviceIdEntropy;
    blk += probe.device_id() == kDeviceIdBlock;
    net += probe.device_id() == kDeviceIdNet;
  }
  Result("probe", bad == 0 && rng == 1 && blk == 1 && net == 1,
         "%d bad transports, %d rng, %d blk, %d net", bad, rng, blk, net);
}

void TestRng(Transports& t, VmoDmaAllocator& dma) {
  int index = Find(t, kDeviceIdEntropy);
  if (index < 0) {
    return Result("rng", false, "no entropy device");
  }
  MmioTransport transport(t.regions[index]);
  transport.Probe();
  transport.set_legacy_queue_align(64);  // the ring in one DMA page
  VirtioRng rng(transport, dma);
  if (Status s = rng.Start(64); s != Status::kOk) {
    return Result("rng", false, "start: %s", StatusName(s));
  }
  uint8_t bytes[4096];
  size_t total = 0;
  const mica_time_t deadline = Now() + 5'000'000'000;
  while (total < sizeof(bytes) && Now() < deadline) {
    size_t got = 0;
    if (Status s = rng.Read(bytes + total, sizeof(bytes) - total, &got); s != Status::kOk) {
      return Result("rng", false, "read: %s", StatusName(s));
    }
    total += got;
    if (got == 0) {
      mica_nanosleep(Now() + 100'000);
    }
  }
  int distinct = 0;
  bool seen[256] = {};
  for (size_t i = 0; i < total; i++) {
    distinct += seen[bytes[i]] ? 0 : 1;
    seen[bytes[i]] = true;
  }
  Result("rng", total == sizeof(bytes) && distinct > 200, "%zu bytes, %d distinct values", total,
         distinct);
}

struct BlkRig {
  static constexpr uint32_t kBuffers = 8;
  MmioTransport* transport;
  VirtioBlk* blk;
  DmaRegion buffers[kBuffers];
  uint64_t sector_of[kBuffers];
};

// Polls until every request in flight has completed; false on an error.
bool DrainAll(VirtioBlk& blk, uint64_t* done_mask, Status* failure) {
  const mica_time_t deadline = Now() + 5'000'000'000;
  while (blk.in_flight() > 0 && Now() < deadline) {
    BlkCompletion out[8];
    size_t n = 0;
    if (Status s = blk.Poll(out, 8, &n); s != Status::kOk) {
      *failure = s;
      return false;
    }
    for (size_t i = 0; i < n; i++) {
      if (out[i].status != Status::kOk) {
        *failure = out[i].status;
        return false;
      }
      *done_mask |= 1ull << out[i].cookie;
    }
    if (n == 0) {
      mica_nanosleep(Now() + 50'000);
    }
  }
  *failure = Status::kShouldWait;
  return blk.in_flight() == 0;
}

// Reads sectors [first, first+count) with up to kBuffers 4 KiB requests in
// flight and checks each byte against `expect`.
bool ReadAndCheck(BlkRig& rig, uint64_t first, uint64_t count, uint8_t (*expect)(uint64_t),
                  char* why, size_t why_size) {
  for (uint64_t at = first; at < first + count;) {
    uint32_t queued = 0;
    for (; queued < BlkRig::kBuffers && at < first + count; queued++, at += 8) {
      rig.sector_of[queued] = at;
      Status s = rig.blk->QueueRead(at, rig.buffers[queued].device_addr(), 4096, queued);
      if (s != Status::kOk) {
        snprintf(why, why_size, "queue read %llu: %s", static_cast<unsigned long long>(at),
                 StatusName(s));
        return false;
      }
    }
    rig.blk->Kick();
    uint64_t mask = 0;
    Status failure;
    if (!DrainAll(*rig.blk, &mask, &failure) || mask != (1ull << queued) - 1) {
      snprintf(why, why_size, "completion: %s", StatusName(failure));
      return false;
    }
    for (uint32_t b = 0; b < queued; b++) {
      for (uint32_t i = 0; i < 4096; i++) {
        const uint64_t byte = rig.sector_of[b] * 512 + i;
        if (rig.buffers[b].cpu()[i] != expect(byte)) {
          snprintf(why, why_size, "byte %llu is 0x%02x", static_cast<unsigned long long>(byte),
                   rig.buffers[b].cpu()[i]);
          return false;
        }
      }
    }
  }
  return true;
}

void TestBlk(Transports& t, VmoDmaAllocator& dma) {
  int index = Find(t, kDeviceIdBlock);
  if (index < 0) {
    return Result("blk", false, "no block device");
  }
  MmioTransport transport(t.regions[index]);
  transport.Probe();
  transport.set_legacy_queue_align(64);
  VirtioBlk blk(transport, dma);
  if (Status s = blk.Start(32); s != Status::kOk) {
    return Result("blk", false, "start: %s", StatusName(s));
  }
  if (blk.capacity() != kImageSectors || blk.read_only()) {
    return Result("blk", false, "capacity %llu ro %d",
                  static_cast<unsigned long long>(blk.capacity()), blk.read_only());
  }
  BlkRig rig{&transport, &blk, {}, {}};
  for (DmaRegion& b : rig.buffers) {
    if (!b.Allocate(dma, 4096, 512)) {
      return Result("blk", false, "dma: %d", dma.last_error());
    }
  }
  char why[128] = "";
  if (!ReadAndCheck(rig, 0, kImageSectors, HostByte, why, sizeof(why))) {
    return Result("blk", false, "host pattern: %s", why);
  }
  // Rewrite the first half with the guest pattern, 4 KiB per request.
  for (uint64_t at = 0; at < kImageSectors / 2;) {
    uint32_t queued = 0;
    for (; queued < BlkRig::kBuffers && at < kImageSectors / 2; queued++, at += 8) {
      for (uint32_t i = 0; i < 4096; i++) {
        rig.buffers[queued].cpu()[i] = GuestByte(at * 512 + i);
      }
      if (Status s = blk.QueueWrite(at, rig.buffers[queued].device_addr(), 4096, queued);
          s != Status::kOk) {
        return Result("blk", false, "queue write: %s", StatusName(s));
      }
    }
    blk.Kick();
    uint64_t mask = 0;
    Status failure;
    if (!DrainAll(blk, &mask, &failure)) {
      return Result("blk", false, "write completion: %s", StatusName(failure));
    }
  }
  uint64_t mask = 0;
  Status failure;
  if (blk.QueueFlush(0) != Status::kOk) {
    return Result("blk", false, "flush refused");
  }
  blk.Kick();
  if (!DrainAll(blk, &mask, &failure)) {
    return Result("blk", false, "flush: %s", StatusName(failure));
  }
  if (!ReadAndCheck(rig, 0, kImageSectors / 2, GuestByte, why, sizeof(why))) {
    return Result("blk", false, "guest pattern: %s", why);
  }
  Result("blk", true);
}

// QEMU's user network (slirp): the guest is 10.0.2.15, the gateway 10.0.2.2.
constexpr uint8_t kGuestIp[4] = {10, 0, 2, 15};
constexpr uint8_t kGatewayIp[4] = {10, 0, 2, 2};

void TestNet(Transports& t, VmoDmaAllocator& dma) {
  int index = Find(t, kDeviceIdNet);
  if (index < 0) {
    return Result("net", false, "no network device");
  }
  MmioTransport transport(t.regions[index]);
  transport.Probe();
  transport.set_legacy_queue_align(64);
  VirtioNet net(transport, dma);
  if (Status s = net.Start(64); s != Status::kOk) {
    return Result("net", false, "start: %s", StatusName(s));
  }
  if (!net.has_mac()) {
    return Result("net", false, "no MAC from the device");
  }
  const uint8_t* mac = net.mac();
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
  if (Status s = net.Send(frame, sizeof(frame)); s != Status::kOk) {
    return Result("net", false, "send: %s", StatusName(s));
  }
  uint8_t in[VirtioNet::kMaxFrame];
  const mica_time_t deadline = Now() + 5'000'000'000;
  int frames = 0;
  while (Now() < deadline) {
    size_t len = 0;
    Status s = net.Receive(in, sizeof(in), &len);
    if (s == Status::kShouldWait) {
      mica_nanosleep(Now() + 100'000);
      continue;
    }
    if (s != Status::kOk) {
      return Result("net", false, "receive: %s", StatusName(s));
    }
    frames++;
    const bool reply = len >= 42 && in[12] == 0x08 && in[13] == 0x06 && in[20] == 0 &&
                       in[21] == 2 && memcmp(in + 28, kGatewayIp, 4) == 0 &&
                       memcmp(in + 32, mac, 6) == 0 && memcmp(in, mac, 6) == 0;
    if (reply) {
      printf("virtio-test: gateway 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", in[22], in[23],
             in[24], in[25], in[26], in[27]);
      return Result("net", true);
    }
  }
  Result("net", false, "no ARP reply (%d other frames)", frames);
}

void TestRngInterrupt(Transports& t, VmoDmaAllocator& dma) {
  int index = Find(t, kDeviceIdEntropy);
  if (index < 0) {
    return Result("rng-interrupt", false, "no entropy device");
  }
  mica_handle_t irq;
  if (mica_status_t s = mica_interrupt_create(mica_rt_root_resource(), 48 + index, 0, &irq);
      s != MICA_OK) {
    return Result("rng-interrupt", false, "interrupt_create: %d", s);
  }
  MmioTransport transport(t.regions[index]);
  transport.Probe();
  transport.set_legacy_queue_align(64);
  VirtioRng rng(transport, dma);
  if (Status s = rng.Start(64); s != Status::kOk) {
    mica_handle_close(irq);
    return Result("rng-interrupt", false, "start: %s", StatusName(s));
  }
  uint8_t bytes[4096];
  size_t total = 0;
  int interrupts = 0;
  // Wait first, then read: every byte handed out came after an interrupt
  // (the level-triggered line stays up while InterruptStatus is set, so a
  // completion before the wait is not lost).
  while (total < sizeof(bytes)) {
    mica_time_t when;
    if (mica_status_t s = mica_interrupt_wait(irq, &when); s != MICA_OK) {
      mica_handle_close(irq);
      return Result("rng-interrupt", false, "interrupt_wait: %d", s);
    }
    interrupts++;
    size_t got = 0;
    if (Status s = rng.Read(bytes + total, sizeof(bytes) - total, &got); s != Status::kOk) {
      mica_handle_close(irq);
      return Result("rng-interrupt", false, "read: %s", StatusName(s));
    }
    total += got;
  }
  mica_handle_close(irq);
  Result("rng-interrupt", interrupts > 0, "%d interrupts", interrupts);
}

}  // namespace

int main(int argc, char** argv) {
  const bool modern = argc > 1 && strcmp(argv[1], "modern") == 0;
  const uint32_t version = modern ? mmio::kVersionModern : mmio::kVersionLegacy;
  printf("virtio-test: start 5\n");
  Transports t;
  if (mica_rt_root_resource() == MICA_HANDLE_INVALID || !MapTransports(&t)) {
    Result("probe", false, "cannot map the transports (no root resource?)");
  } else {
    // Its own BTI (bus transaction initiator) from the root resource: every
    // DMA buffer is pinned on it (vmo_dma.h).
    mica_handle_t bti = MICA_HANDLE_INVALID;
    if (mica_bti_create(mica_rt_root_resource(), 0, &bti) != MICA_OK) {
      Result("probe", false, "bti_create failed");
    }
    VmoDmaAllocator dma(mica_rt_root_resource(), bti, mica_rt_vmar_root());
    TestProbe(t, version);
    TestRng(t, dma);
    TestBlk(t, dma);
    TestNet(t, dma);
    TestRngInterrupt(t, dma);
  }
  printf("virtio-test: done passed=%d failed=%d\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
