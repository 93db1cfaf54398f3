// bin/test-driver: the driver the manager's test boots bind (the test
// manifest sets under test/drivers/<set>/, docs/drivers.md "Test boots").
// Its one manifest argument picks the behaviour:
//   steady        maps its registers and answers liveness pings
//   isolation     steady, after checking what it cannot do: reach another
//                 node's registers or interrupts, or grow its own grant
//   crash-once    a null dereference on its first start, then steady
//   exit-once     exit(3) on its first start, then steady
//   hang-once     blocks its loop (no liveness answer) on its first start
//   crash-always  a null dereference on every start
//   parent        adds two child nodes (mica,test-child) and publishes rtc
//   child         publishes an echo service of class `test`
//   reboot        1 s after binding asks the manager for a reboot through
//                 the Power protocol (its manifest says `grant power`)
// Services speak the raw protocol `test.Echo` version 1 (not IDL): every
// message comes back as is; "crash" crashes the driver.
// Lines: `<driver>: <node path> up (start <n>)` once bound, and for
// isolation `<driver>: check <what>: ok|FAILED (<status>)` then
// `<driver>: isolation ok` or `<driver>: isolation FAILED`. The modes that
// end (crash-once, exit-once, hang-once, crash-always) follow the DMA rule
// on their node's BTI first (docs/drivers.md "DMA"; the test device does
// no DMA, so there is nothing to reset): `<driver>: bti quarantine <n>
// pmts <p> pages (<status>)` (what the previous instance left), release,
// then pin one page and keep it pinned: `<driver>: bti pinned (<status>)`,
// so the next start sees this instance's PMT quarantined on the same BTI.
#include <idl/power_ipc.h>
#include <mica/driver/driver.h>
#include <mica/driver/status_name.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

using mica::driver::Context;
using mica::driver::StatusName;

// virt's PL011 (another node's registers) and its SPI 1 (INTID 33).
constexpr uint64_t kOtherNodePage = 0x9000000;
constexpr uint32_t kOtherNodeIntid = 33;

int g_failures = 0;

void Check(Context& dev, const char* what, mica_status_t got, mica_status_t want) {
  bool ok = got == want;
  g_failures += ok ? 0 : 1;
  printf("%s: check %s: %s (%s)\n", dev.name(), what, ok ? "ok" : "FAILED", StatusName(got));
}

mica_status_t CheckIsolation(Context& dev) {
  mica::Handle rsrc;
  MICA_TRY(dev.TakeDmaResource(0, &rsrc));
  mica::driver::RegRange own;
  dev.node().Reg(0, &own);
  uint64_t base = own.paddr & ~uint64_t{MICA_PAGE_SIZE - 1};
  mica::Handle h;
  Check(dev, "other-node-registers",
        mica_vmo_create_physical(rsrc.get(), kOtherNodePage, MICA_PAGE_SIZE,
                                 h.reset_and_get_address()),
        MICA_ERR_ACCESS_DENIED);
  Check(dev, "own-range-grown",
        mica_vmo_create_physical(rsrc.get(), base, 2 * MICA_PAGE_SIZE, h.reset_and_get_address()),
        MICA_ERR_ACCESS_DENIED);
  Check(dev, "other-node-interrupt",
        mica_interrupt_create(rsrc.get(), kOtherNodeIntid, 0, h.reset_and_get_address()),
        MICA_ERR_ACCESS_DENIED);
  Check(dev, "root-resource",
        mica_rt_root_resource() == MICA_HANDLE_INVALID ? MICA_OK : MICA_ERR_BAD_STATE, MICA_OK);
  Check(dev, "sub-resource-outside",
        mica_resource_create(rsrc.get(), MICA_RSRC_KIND_MMIO, kOtherNodePage, MICA_PAGE_SIZE, "x",
                             1, h.reset_and_get_address()),
        MICA_ERR_ACCESS_DENIED);
  Check(dev, "own-registers",
        mica_vmo_create_physical(rsrc.get(), base, MICA_PAGE_SIZE, h.reset_and_get_address()),
        MICA_OK);
  Check(dev, "dma-buffer",
        mica_vmo_create_contiguous(rsrc.get(), MICA_PAGE_SIZE, 0, h.reset_and_get_address()),
        MICA_OK);
  Check(dev, "dma-buffer-too-large",
        mica_vmo_create_contiguous(rsrc.get(), 2 * MICA_PAGE_SIZE, 0, h.reset_and_get_address()),
        MICA_ERR_ACCESS_DENIED);
  mica::Handle irq;
  Check(dev, "own-interrupt", dev.TakeInterrupt(0, &irq), MICA_OK);
  Check(dev, "interrupt-taken-once", dev.TakeInterrupt(0, &irq), MICA_ERR_BAD_STATE);
  mica::driver::MmioRegion regs;
  MICA_TRY(dev.MapMmio(0, &regs));
  // PL031 TRM (DDI 0224C) §3.3.11: PeriphID0 at 0xFE0 reads 0x31.
  Check(dev, "own-registers-read", regs.Read32(0xfe0) == 0x31 ? MICA_OK : MICA_ERR_IO, MICA_OK);
  printf("%s: isolation %s\n", dev.name(), g_failures == 0 ? "ok" : "FAILED");
  return MICA_OK;
}

// Echo: every message a client sends comes back; "crash" crashes the
// driver (bin/drivers --reconnect).
void Echo(Context& dev, mica_handle_t ch) {
  dev.loop().BeginWait(
      ch, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
      [&dev, ch](mica_status_t status, mica_signals_t observed) {
        uint8_t buf[256];
        uint32_t n = 0;
        while (status == MICA_OK &&
               mica_channel_read(ch, 0, buf, nullptr, sizeof(buf), 0, &n, nullptr) == MICA_OK) {
          if (n == 5 && memcmp(buf, "crash", 5) == 0) {
            *static_cast<volatile int*>(nullptr) = 1;
          }
          mica_channel_write(ch, 0, buf, n, nullptr, 0);
        }
        if (status != MICA_OK || (observed & MICA_CHANNEL_PEER_CLOSED)) {
          mica_handle_close(ch);
          return;
        }
        Echo(dev, ch);
      });
}

mica_status_t Publish(Context& dev, const char* service_class) {
  return dev.Publish(service_class, "test.Echo", 1,
                     [&dev](mica::Handle client) { Echo(dev, client.release()); });
}

mica_status_t AddChildren(Context& dev) {
  static const char kCompat[] = "mica,test-child";
  mica::driver::NodeProperty props[] = {
      {"compatible", reinterpret_cast<const uint8_t*>(kCompat), sizeof(kCompat)}};
  MICA_TRY(dev.AddChild("child@0", props, 1));
  return dev.AddChild("child@1", props, 1);
}

void CrashSoon(Context& dev) {
  dev.loop().PostTask([] { *static_cast<volatile int*>(nullptr) = 1; });
}

// reboot: Power.Shutdown(REBOOT), which does not answer on success.
mica_status_t RebootSoon(Context& dev) {
  mica::Handle power;
  MICA_TRY(dev.TakePower(&power));
  static idl::power::PowerAsyncClient client(&dev.loop(), mica::Channel(power.release()));
  MICA_TRY(client.Begin());
  return dev.loop().PostTaskAfter(
      [&dev] {
        printf("%s: asking for a reboot\n", dev.name());
        idl::power::Power::ShutdownRequest req;
        req.action = idl::power::Action::REBOOT;
        (void)client.Shutdown(req, [&dev](mica_status_t s, idl::power::Power::ShutdownResponse* r) {
          printf("%s: reboot refused: %s\n", dev.name(), StatusName(s != MICA_OK ? s : r->status));
        });
      },
      1'000'000'000);
}

void DmaQuarantine(Context& dev) {
  mica_info_bti_t info = {};
  mica_status_t s =
      mica_object_get_info(dev.bti(), MICA_INFO_BTI, &info, sizeof(info), nullptr, nullptr);
  printf("%s: bti quarantine %u pmts %llu pages (%s)\n", dev.name(), info.quarantine_count,
         static_cast<unsigned long long>(info.quarantined_pages), StatusName(s));
  if (s == MICA_OK) {
    s = mica_bti_release_quarantine(dev.bti());
  }
  mica::Handle vmo;
  if (s == MICA_OK) {
    s = mica_vmo_create(MICA_PAGE_SIZE, 0, vmo.reset_and_get_address());
  }
  uint64_t addr = 0;
  mica_handle_t pmt = MICA_HANDLE_INVALID;  // never unpinned: this process's death quarantines it
  if (s == MICA_OK) {
    s = mica_bti_pin(dev.bti(), MICA_BTI_PERM_READ | MICA_BTI_PERM_WRITE, vmo.get(), 0,
                     MICA_PAGE_SIZE, &addr, 1, &pmt);
  }
  printf("%s: bti pinned (%s)\n", dev.name(), StatusName(s));
}

bool Ends(const char* mode) {
  return strcmp(mode, "crash-once") == 0 || strcmp(mode, "exit-once") == 0 ||
         strcmp(mode, "hang-once") == 0 || strcmp(mode, "crash-always") == 0;
}

mica_status_t Bind(Context& dev) {
  const char* mode = dev.arg_count() > 0 ? dev.arg(0) : "steady";
  bool first = dev.start_count() == 0;
  if (dev.mmio_count() > 0 && strcmp(mode, "isolation") != 0) {
    mica::driver::MmioRegion regs;
    MICA_TRY(dev.MapMmio(0, &regs));
  }
  printf("%s: %s up (start %u)\n", dev.name(), dev.node_path(), dev.start_count());
  if (Ends(mode)) {
    DmaQuarantine(dev);
  }
  if (strcmp(mode, "isolation") == 0) {
    return CheckIsolation(dev);
  }
  if (strcmp(mode, "crash-always") == 0 || (first && strcmp(mode, "crash-once") == 0)) {
    CrashSoon(dev);
  } else if (first && strcmp(mode, "exit-once") == 0) {
    dev.loop().PostTask([] { exit(3); });
  } else if (first && strcmp(mode, "hang-once") == 0) {
    dev.loop().PostTask([] { mica_nanosleep(MICA_TIME_INFINITE); });
  } else if (strcmp(mode, "parent") == 0) {
    MICA_TRY(Publish(dev, "rtc"));
    return AddChildren(dev);
  } else if (strcmp(mode, "child") == 0) {
    return Publish(dev, "test");
  } else if (strcmp(mode, "reboot") == 0) {
    return RebootSoon(dev);
  }
  return MICA_OK;
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
