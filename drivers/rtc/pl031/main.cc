// bin/pl031: the PL031 RTC driver process (README.md). Binds
// `arm,pl031`, checks the device, prints one line with the wall-clock time,
// and publishes class `rtc`. It then arms a one-shot alarm two seconds
// ahead and a thread waits for the interrupt: `<name>: alarm at <s> fired
// (counter <s>)` shows the match interrupt travelled device -> GIC ->
// interrupt object -> Pl031::OnInterrupt.
//
// Fault injection (`inject=<fault>`, docs/drivers.md): the runtime's
// (<mica/driver/driver.h>); for `stall` the held request is the next Get on
// an rtc connection.
//
// The `rtc` service speaks the IDL rtc protocol (system/idl/rtc.idl,
// `rtc.Rtc` version 1): Get -> (status, UTC seconds since 1970); Set(UTC
// seconds) loads the counter (MICA_ERR_OUT_OF_RANGE outside the PL031's
// 32-bit counter, 0..4294967295). Each client has its own connection; a
// malformed request closes it (the IDL server's rule).
#include <idl/rtc_ipc.h>
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

// One client's connection: the IDL rtc protocol on the driver's loop.
class RtcConnection final : public idl::rtc::RtcServer {
 public:
  RtcConnection(Context* dev, mica::Channel channel)
      : RtcServer(&dev->loop(), static_cast<mica::Channel&&>(channel)), dev_(dev) {}

  void Get(idl::rtc::Rtc::GetRequest&, GetCompleter done) override {
    if (dev_->StallRequest()) {
      held_ = static_cast<GetCompleter&&>(done);
      return;
    }
    idl::rtc::Rtc::GetResponse r;
    uint32_t now = 0;
    mica_rt_mutex_lock(&g_lock);
    r.status = ToMicaStatus(g_rtc.ReadSeconds(&now));
    mica_rt_mutex_unlock(&g_lock);
    r.utc_seconds = now;
    done.Reply(r);
  }

  void Set(idl::rtc::Rtc::SetRequest& req, SetCompleter done) override {
    idl::rtc::Rtc::SetResponse r;
    r.status = MICA_ERR_OUT_OF_RANGE;
    if (req.utc_seconds >= 0 && req.utc_seconds <= static_cast<int64_t>(UINT32_MAX)) {
      mica_rt_mutex_lock(&g_lock);
      r.status = ToMicaStatus(g_rtc.SetSeconds(static_cast<uint32_t>(req.utc_seconds)));
      mica_rt_mutex_unlock(&g_lock);
    }
    done.Reply(r);
  }

 private:
  Context* dev_;
  GetCompleter held_;  // inject=stall: never answered
};

void Serve(Context& dev, mica::Handle client) {
  auto* conn = new RtcConnection(&dev, mica::Channel(client.release()));
  conn->set_error_handler([conn](mica_status_t) { delete conn; });
  if (conn->Begin() != MICA_OK) {
    delete conn;
  }
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
  g_name = dev.name();
  MICA_TRY(dev.Publish<idl::rtc::Rtc>(
      "rtc", [&dev](mica::Handle client) { Serve(dev, static_cast<mica::Handle&&>(client)); }));
  if (dev.interrupt_count() == 0) {
    return MICA_OK;
  }
  MICA_TRY(dev.TakeInterrupt(0, &g_irq));
  g_alarm_at = seconds + 2;
  MICA_TRY(ToMicaStatus(g_rtc.SetAlarm(g_alarm_at)));
  mica_rt_thread_t* thread = nullptr;
  return mica_rt_thread_create(&thread, AlarmThread, nullptr, "pl031-alarm", 0);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
