// bin/mini-uart: the BCM2711 mini UART driver process (README.md).
// Binds `brcm,bcm2835-aux-uart`: programs the UART (the firmware's baud
// rate stays: the node's clock has no frequency in the DT, and the AUX
// block's AUX_ENABLES is not part of the node's grant, so the firmware's
// enable stands), then serves it with interrupts: a thread waits on the
// interrupt object and runs MiniUart::OnInterrupt under the driver's lock;
// received bytes are echoed back through the console writer; writes go
// through the console writer so lines are never cut by another writer's.
//
// Lines: `<name>: <node path> up (IER rx bit <b>)` through the debug log;
// 200 ms after binding, one line written by the driver itself on the UART:
// `mini-uart-driver: hello from <node path>` (no debug-log prefix); then
// `<name>: wrote <n> bytes, <i> interrupts` through the debug log.
#include <mica/driver/driver.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "drivers/lib/mica_status.h"
#include "drivers/serial/bcm2835-aux/mini_uart.h"
#include "drivers/serial/lib/console_writer.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::bcm2835_aux::MiniUart;
using mica::drivers::bcm2835_aux::MiniUartConfig;
namespace serial = mica::drivers::serial;

constexpr size_t kWriterDriver = 0;
constexpr size_t kWriterEcho = 1;

mica::driver::MmioRegion g_regs;
MiniUart g_uart(g_regs);
serial::ConsoleWriter<2, 256, 4096> g_console;
mica_rt_mutex_t g_lock = MICA_RT_MUTEX_INIT;
mica::Handle g_irq;

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
  int n = snprintf(line, sizeof(line), "mini-uart-driver: hello from %s\n", dev.node_path());
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
  MICA_TRY(ToMicaStatus(g_uart.Init(MiniUartConfig{}, nullptr)));
  printf("%s: %s up (IER rx bit %u)\n", dev.name(), dev.node_path(), g_uart.rx_enable_bit());
  mica_rt_thread_t* thread = nullptr;
  MICA_TRY(mica_rt_thread_create(&thread, IrqThread, nullptr, "mini-uart-irq", 0));
  return dev.loop().PostDelayedTask([&dev] { SayHello(dev); },
                                    mica::async::Loop::Now() + 200 * 1000000);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
