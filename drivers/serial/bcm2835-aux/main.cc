// bin/mini-uart: the BCM2711 mini UART driver process (README.md).
// Binds `brcm,bcm2835-aux-uart`, the Pi 4's console (/chosen/stdout-path
// names it): granted the console (manifest `grant console`), it takes the
// console over from the kernel before it programs the UART
// (drivers/serial/lib/console_driver.h), then echoes typed input and serves
// the service `console` (IDL Serial). The firmware's baud rate stays: the
// node's clock has no frequency in the DT, and the AUX block's AUX_ENABLES
// is not part of the node's grant, so the firmware's enable stands.
//
// Lines: `<name>: <node path> up (IER rx bit <b>)` through the debug log;
// 200 ms after binding, one line written by the driver itself on the UART:
// `mini-uart-driver: hello from <node path>` (no debug-log prefix); then
// `<name>: wrote <n> bytes, <i> interrupts` through the debug log.
// Fault injection: `inject=crash|exit|hang|stall` (console_driver.cc).
#include <mica/driver/driver.h>
#include <stdio.h>

#include "drivers/lib/mica_status.h"
#include "drivers/serial/bcm2835-aux/mini_uart.h"
#include "drivers/serial/lib/console_driver.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::bcm2835_aux::MiniUart;
using mica::drivers::bcm2835_aux::MiniUartConfig;
namespace serial = mica::drivers::serial;

mica::driver::MmioRegion g_regs;
MiniUart g_uart(g_regs);

mica_status_t Bind(Context& dev) {
  MICA_TRY(dev.MapMmio(0, &g_regs));
  mica::Handle irq;
  MICA_TRY(dev.TakeInterrupt(0, &irq));
  // The kernel stops writing the UART before it is reprogrammed.
  MICA_TRY(serial::ConsoleTakeOver(dev));
  MiniUartConfig config;
  MICA_TRY(ToMicaStatus(g_uart.Init(config, nullptr)));
  printf("%s: %s up (IER rx bit %u)\n", dev.name(), dev.node_path(), g_uart.rx_enable_bit());
  serial::ConsoleDriverConfig console;
  console.hello = "mini-uart-driver";
  console.baud = config.baud;
  return serial::ConsoleStart(dev, g_uart, static_cast<mica::Handle&&>(irq), console);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
