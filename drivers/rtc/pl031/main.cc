// bin/pl031: the PL031 RTC driver process (README.md). Binds
// `arm,pl031`, checks the device, prints one line with the wall-clock time,
// and publishes class `rtc`. It then arms a one-shot alarm two seconds
// ahead and a thread waits for the interrupt: `<name>: alarm at <s> fired
// (counter <s>)` shows the match interrupt travelled device -> GIC ->
// interrupt object -> Pl031::OnInterrupt.
//
// Fault injection (`inject=<fault>`, docs/drivers.md): the runtime's
// (<mica/driver/driver.h>); for `stall` the held request is the next
// message on an rtc connection.
//
// Provisional `rtc` wire format until the IDL's RTC protocol lands: any
// message gets an 8-byte reply, the UTC seconds since 1970 (little-endian
// u64). A client closing its end ends its connection.
#include <mica/driver/driver.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "drivers/lib/mica_status.h"
#include "drivers/rtc/pl031/pl031.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::pl031::Pl031;

mica::driver::MmioRegion g_regs;
Pl031 g_rtc(g_regs);
mica_rt_mutex_t g_lock = MICA_RT_MUTEX_INIT;
mica::Handle g_irq;
uint32_t g_alarm_at = 0;
const char* g_name = "pl031";

uint32_t NowLocked() {
  uint32_t now = 0;
  g_rtc.ReadSeconds(&now);
  return now;
}

int AlarmThread(void*) {
  for (;;) {
    if (mica_interrupt_wait(g_irq.get(), nullptr) != MICA_OK) {
      return 1;
    }
    mica_rt_mutex_lock(&g_lock);
    bool fired = g_rtc.OnInterrupt();
    uint32_t now = NowLocked();
    mica_rt_mutex_unlock(&g_lock);
    if (fired) {
      printf("%s: alarm at %u fired (counter %u)\n", g_name, g_alarm_at, now);
    }
  }
}

void Serve(Context& dev, mica_handle_t ch) {
  dev.loop().BeginWait(
      ch, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
      [&dev, ch](mica_status_t status, mica_signals_t observed) {
        uint8_t buf[64];
        uint32_t n = 0;
        while (status == MICA_OK &&
               mica_channel_read(ch, 0, buf, nullptr, sizeof(buf), 0, &n, nullptr) == MICA_OK) {
          if (dev.StallRequest()) {
            continue;
          }
          uint32_t now = 0;
          g_rtc.ReadSeconds(&now);
          uint64_t reply = now;
          mica_channel_write(ch, 0, &reply, sizeof(reply), nullptr, 0);
        }
        if (status != MICA_OK || (observed & MICA_CHANNEL_PEER_CLOSED)) {
          mica_handle_close(ch);
          return;
        }
        Serve(dev, ch);
      });
}

mica_status_t Bind(Context& dev) {
  MICA_TRY(dev.MapMmio(0, &g_regs));
  MICA_TRY(ToMicaStatus(g_rtc.Init()));
  uint32_t seconds = 0;
  mica::drivers::rtc::CivilTime t;
  MICA_TRY(ToMicaStatus(g_rtc.ReadSeconds(&seconds)));
  MICA_TRY(ToMicaStatus(g_rtc.ReadTime(&t)));
  printf("%s: %s time %04d-%02u-%02uT%02u:%02u:%02uZ (%u s since 1970)\n", dev.name(),
         dev.node_path(), static_cast<int>(t.year), t.month, t.day, t.hour, t.minute, t.second,
         seconds);
  MICA_TRY(dev.Publish("rtc", [&dev](mica::Handle client) { Serve(dev, client.release()); }));
  if (dev.interrupt_count() == 0) {
    return MICA_OK;
  }
  g_name = dev.name();
  MICA_TRY(dev.TakeInterrupt(0, &g_irq));
  g_alarm_at = seconds + 2;
  MICA_TRY(ToMicaStatus(g_rtc.SetAlarm(g_alarm_at)));
  mica_rt_thread_t* thread = nullptr;
  return mica_rt_thread_create(&thread, AlarmThread, nullptr, "pl031-alarm", 0);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
