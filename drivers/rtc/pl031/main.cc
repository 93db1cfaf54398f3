// bin/pl031: the PL031 RTC driver process (README.md). Binds
// `arm,pl031`, checks the device, prints one line with the wall-clock time,
// and publishes class `rtc`. It then arms a one-shot alarm two seconds
// ahead and a thread waits for the interrupt: `<name>: alarm at <s> fired
// (counter <s>)` shows the match interrupt travelled device -> GIC ->
// interrupt object -> Pl031::OnInterrupt.
//
// Fault injection (the fault campaign, docs/drivers.md "Failure"): started
// with the argument `inject=<fault>` (the manager's drivers.inject=pl031:
// <fault> switch, first start only), the driver misbehaves once:
//   crash   a null dereference on its loop, 1 s after binding
//   exit    exit(3), 1 s after binding
//   hang    an endless loop on its loop thread, 1 s after binding (the
//           manager's liveness ping goes unanswered)
//   stall   it never answers the first request (a drivers.kill= then lands
//           while that request is in flight)
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
#include <stdlib.h>
#include <string.h>

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
bool g_stall = false;  // inject=stall: the next request is never answered

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
  RtcConnection(mica::async::Loop* loop, mica::Channel channel)
      : RtcServer(loop, static_cast<mica::Channel&&>(channel)) {}

  void Get(idl::rtc::Rtc::GetRequest&, GetCompleter done) override {
    if (g_stall) {
      g_stall = false;
      printf("%s: holding a request unanswered, as injected\n", g_name);
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
  GetCompleter held_;  // inject=stall: never answered
};

void Serve(Context& dev, mica::Handle client) {
  auto* conn = new RtcConnection(&dev.loop(), mica::Channel(client.release()));
  conn->set_error_handler([conn](mica_status_t) { delete conn; });
  if (conn->Begin() != MICA_OK) {
    delete conn;
  }
}

// The `inject=<fault>` argument, if any (see the top of this file).
const char* InjectedFault(const Context& dev) {
  for (int i = 0; i < dev.arg_count(); i++) {
    if (strncmp(dev.arg(i), "inject=", 7) == 0) {
      return dev.arg(i) + 7;
    }
  }
  return nullptr;
}

mica_status_t Inject(Context& dev, const char* fault) {
  printf("%s: injecting %s\n", dev.name(), fault);
  constexpr mica_duration_t kDelay = 1'000'000'000;
  if (strcmp(fault, "stall") == 0) {
    g_stall = true;
    return MICA_OK;
  }
  if (strcmp(fault, "crash") == 0) {
    return dev.loop().PostTaskAfter(
        [] {
          volatile uint32_t* null = nullptr;
          *null = 1;
        },
        kDelay);
  }
  if (strcmp(fault, "exit") == 0) {
    return dev.loop().PostTaskAfter([] { exit(3); }, kDelay);
  }
  if (strcmp(fault, "hang") == 0) {
    return dev.loop().PostTaskAfter(
        [] {
          for (;;) {
            __asm__ volatile("" ::: "memory");
          }
        },
        kDelay);
  }
  return MICA_ERR_INVALID_ARGS;
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
  if (const char* fault = InjectedFault(dev)) {
    MICA_TRY(Inject(dev, fault));
  }
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
