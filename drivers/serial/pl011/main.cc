// bin/pl011: the PL011 UART driver process (README.md). Binds
// `arm,pl011`. On the node /chosen/stdout-path names (QEMU virt's
// /pl011@9000000) the manager grants it the console (manifest `grant
// console`) and it takes the console over from the kernel before it
// programs the UART (drivers/serial/lib/console_driver.h): from then on the
// kernel's log reaches the console through this driver, typed input is
// echoed, and the service `console` serves the IDL Serial protocol. On any
// other PL011 (the Pi 4's second UART) it is a plain UART publishing
// `serial`. The node's `clock-frequency`, if it has one, sets the baud
// divisors; otherwise the firmware's stay.
//
// Lines: `<name>: <node path> up (uartclk <hz or "kept">)` through the
// debug log; 200 ms after binding, one line written by the driver itself
// on the UART: `pl011-driver: hello from <node path>` (no debug-log
// prefix, which is how a test tells it went through this driver); then
// `<name>: wrote <n> bytes, <i> interrupts` through the debug log.
// Fault injection: `inject=crash|exit|hang|stall` (console_driver.cc).
#include <mica/driver/driver.h>
#include <stdio.h>

#include "drivers/lib/mica_status.h"
#include "drivers/serial/lib/console_driver.h"
#include "drivers/serial/pl011/pl011.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::pl011::Pl011;
using mica::drivers::pl011::Pl011Config;
namespace serial = mica::drivers::serial;

mica::driver::MmioRegion g_regs;
Pl011 g_uart(g_regs);

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

mica_status_t Bind(Context& dev) {
  MICA_TRY(dev.MapMmio(0, &g_regs));
  mica::Handle irq;
  MICA_TRY(dev.TakeInterrupt(0, &irq));
  // The kernel stops writing the UART before it is reprogrammed.
  MICA_TRY(serial::ConsoleTakeOver(dev));
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
  serial::ConsoleDriverConfig console;
  console.hello = "pl011-driver";
  console.baud = config.baud;
  return serial::ConsoleStart(dev, g_uart, static_cast<mica::Handle&&>(irq), console);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
