// bin/pl011: the PL011 UART driver process (README.md). Binds
// `arm,pl011`: programs the UART (the node's `clock-frequency`, if it has
// one, sets the baud divisors; otherwise the firmware's stay), then serves
// it with interrupts: a thread waits on the interrupt object and runs
// Pl011::OnInterrupt under the driver's lock; received bytes are echoed
// back through the console writer (the console's echo); writes go through
// the console writer so lines are never cut by another writer's.
//
// Lines: `<name>: <node path> up (uartclk <hz or "kept">)` through the
// debug log; 200 ms after binding, one line written by the driver itself
// on the UART: `pl011-driver: hello from <node path>` (no debug-log
// prefix, which is how a test tells it went through this driver); then
// `<name>: wrote <n> bytes, <i> interrupts` through the debug log.
#include <mica/driver/driver.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "drivers/lib/mica_status.h"
#include "drivers/serial/lib/console_writer.h"
#include "drivers/serial/pl011/pl011.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::pl011::Pl011;
using mica::drivers::pl011::Pl011Config;
namespace serial = mica::drivers::serial;

constexpr size_t kWriterDriver = 0;
constexpr size_t kWriterEcho = 1;

mica::driver::MmioRegion g_regs;
Pl011 g_uart(g_regs);
serial::ConsoleWriter<2, 256, 4096> g_console;
mica_rt_mutex_t g_lock = MICA_RT_MUTEX_INIT;
mica::Handle g_irq;

// The node's `clock-frequency` (one or two cells), 0 if absent or malformed.
uint64_t NodeClockHz(const Context& dev) {
  mica::driver::NodeProperty p;
  if (!dev.node().FindProperty("clock-frequency", &p)) {
    return 0;
  }
  uint32_t hi = 0;
  uint32_t lo = 0;
  if (p.size == 4 && p.ReadU32(0, &lo)) {
    return lo;
  }
  if (p.size == 8 && p.ReadU32(0, &hi) && p.ReadU32(1, &lo)) {
    return (uint64_t{hi} << 32) | lo;
  }
  return 0;
}

void EchoLocked() {
  uint8_t buf[64];
  size_t n;
  while ((n = g_uart.Read(buf, sizeof(buf))) != 0) {
    g_console.Write(kWriterEcho, buf, n);
    g_console.Flush(kWriterEcho);
  }
}

int IrqThread(void*) {
  for (;;) {
    if (mica_interrupt_wait(g_irq.get(), nullptr) != MICA_OK) {
      return 1;
    }
    mica_rt_mutex_lock(&g_lock);
    uint32_t events = g_uart.OnInterrupt();
    if (events & serial::kRxReady) {
      EchoLocked();
    }
    g_console.Pump(g_uart);
    mica_rt_mutex_unlock(&g_lock);
  }
}

void SayHello(Context& dev) {
  char line[160];
  int n = snprintf(line, sizeof(line), "pl011-driver: hello from %s\n", dev.node_path());
  mica_rt_mutex_lock(&g_lock);
  g_console.Write(kWriterDriver, reinterpret_cast<const uint8_t*>(line),
                  n > 0 ? static_cast<size_t>(n) : 0);
  g_console.Pump(g_uart);
  uint64_t bytes = g_uart.stats().tx_bytes;
  uint64_t irqs = g_uart.stats().interrupts;
  mica_rt_mutex_unlock(&g_lock);
  printf("%s: wrote %llu bytes, %llu interrupts\n", dev.name(),
         static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(irqs));
}

mica_status_t Bind(Context& dev) {
  MICA_TRY(dev.MapMmio(0, &g_regs));
  MICA_TRY(dev.TakeInterrupt(0, &g_irq));
  Pl011Config config;
  config.clock_hz = NodeClockHz(dev);
  mica::driver::NodeProperty id;
  uint32_t periphid = 0;
  if (dev.node().FindProperty("arm,primecell-periphid", &id) && id.size == 4 &&
      id.ReadU32(0, &periphid)) {
    config.periphid = periphid;
  }
  MICA_TRY(ToMicaStatus(g_uart.Init(config)));
  if (config.clock_hz != 0) {
    printf("%s: %s up (uartclk %llu)\n", dev.name(), dev.node_path(),
           static_cast<unsigned long long>(config.clock_hz));
  } else {
    printf("%s: %s up (uartclk kept)\n", dev.name(), dev.node_path());
  }
  mica_rt_thread_t* thread = nullptr;
  MICA_TRY(mica_rt_thread_create(&thread, IrqThread, nullptr, "pl011-irq", 0));
  return dev.loop().PostDelayedTask([&dev] { SayHello(dev); },
                                    mica::async::Loop::Now() + 200 * 1000000);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
