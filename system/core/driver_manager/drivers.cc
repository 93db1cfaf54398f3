// bin/drivers: prints the driver manager's node tree (docs/drivers.md,
// "Inspecting"), read with the IDL Inspect protocol
// (system/idl/inspect.idl), one line per node in record_format.h's format:
//   drivers: node <path> [<state>] ...
//   drivers: <n> nodes
// With `--connect=<class>/<instance>` it also opens that service through
// the manager (retrying for 5 s while it is not published), sends "ping"
// and prints
//   drivers: <class>/<instance> answered "ping"
// (the test drivers' services echo). `--reconnect=<class>/<instance>` then
// sends "crash" (the test driver crashes), expects PEER_CLOSED, opens the
// service again and prints
//   drivers: <class>/<instance> closed: MICA_ERR_PEER_CLOSED
//   drivers: <class>/<instance> answered "ping" after reconnecting
// `--rtc=<class>/<instance>` is a client of the PL031 driver's `rtc`
// service (the IDL rtc protocol, system/idl/rtc.idl): it reads the time and
// stays connected; each time the driver ends it opens the service again and
// reads the time again:
//   drivers: <class>/<instance> time <seconds>
//   drivers: <class>/<instance> closed: MICA_ERR_PEER_CLOSED
//   drivers: <class>/<instance> request in flight: MICA_ERR_PEER_CLOSED
//   drivers: <class>/<instance> time <seconds> after reconnecting
// `--flood=<class>/<instance>` floods an rtc service as a misbehaving
// client would, then lists the tree again (drivers_flood.cc).
// `--services=<class>/<instance>` lists the service directory, then asks
// it for that service with the right protocol and version and with every
// kind of wrong request, one line each (drivers_services.cc):
//   drivers: service <class>/<n> <protocol> v<version> <node path> <state>
//   drivers: open <class>/<n> as <protocol> v<version>: <status>
// `--unavailable=<class>/<instance>` opens the service, waits for its
// driver to end (e.g. after drivers.inject=), opens it again at once (the
// directory answers MICA_ERR_UNAVAILABLE while the driver restarts), then
// waits for it to come back:
//   drivers: open <class>/<n> while its driver restarts: MICA_ERR_UNAVAILABLE
//   drivers: <class>/<n> open again after its driver restarted
// Services are opened with <mica/driver/service.h>; the test drivers'
// echo services speak `test.Echo` version 1.
// The manager starts it with the inspection channel
// (drivers.then=bin/drivers).
#include <idl/inspect_ipc.h>
#include <idl/rtc_ipc.h>
#include <mica/driver/protocol.h>
#include <mica/driver/service.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/driver_manager/drivers.h"
#include "system/core/driver_manager/inspect_client.h"

namespace drivers {

namespace wire = mica::driver::wire;
using mica::driver::StatusName;

namespace {

mica_status_t Receive(mica_handle_t ch, void* buf, uint32_t size, uint32_t* n) {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  mica_signals_t seen = 0;
  mica_status_t s = mica_object_wait_one(ch, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                                         now + kTimeout, &seen);
  if (s != MICA_OK) {
    return s;
  }
  uint32_t handles = 0;
  mica_handle_t h;
  s = wire::ReadMessage(ch, buf, size, &h, 1, n, &handles);
  if (s == MICA_OK && handles != 0) {
    mica_handle_close(h);
  }
  return s;
}

// One node as a line (record_format.h's format), indented by its depth.
void PrintNode(const idl::inspect::Node& n) {
  char line[1400];
  int used =
      snprintf(line, sizeof(line), "%*snode %.*s [%s]", 2 * driver_inspect::NodeDepth(n), "",
               static_cast<int>(n.path.size), n.path.data, driver_inspect::NodeStateName(n.state));
  auto add = [&](const char* fmt, auto... args) {
    if (used >= 0 && static_cast<size_t>(used) < sizeof(line)) {
      used += snprintf(line + used, sizeof(line) - static_cast<size_t>(used), fmt, args...);
    }
  };
  if (n.driver.size != 0) {
    add(" driver %.*s process %llu restarts %u", static_cast<int>(n.driver.size), n.driver.data,
        static_cast<unsigned long long>(n.koid), n.restart_count);
  }
  for (uint32_t i = 0; i < n.compatibles.count; i++) {
    add(i == 0 ? " compatible \"%.*s\"" : " \"%.*s\"", static_cast<int>(n.compatibles[i].size),
        n.compatibles[i].data);
  }
  for (uint32_t i = 0; i < n.services.count; i++) {
    add(i == 0 ? " services %.*s/%u" : " %.*s/%u",
        static_cast<int>(n.services[i].service_class.size), n.services[i].service_class.data,
        n.services[i].instance);
  }
  printf("drivers: %s\n", line);
}

// The node tree, page by page, through the Inspect protocol (the channel
// is lent, for a later listing).
int List(mica::Channel& inspect) {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  uint32_t total = 0;
  mica_status_t s = driver_inspect::ForEachNode(
      inspect, now + kTimeout, [](const idl::inspect::Node& n) { PrintNode(n); }, &total);
  if (s != MICA_OK) {
    printf("drivers: listing failed: %s\n", StatusName(s));
    return 1;
  }
  printf("drivers: %u nodes\n", total);
  return 0;
}

// Opens `what` (the test drivers' echo service) and checks that it echoes.
mica_status_t Open(const char* what, mica_handle_t* out) {
  ServiceName name;
  if (!ParseService(what, &name)) {
    return MICA_ERR_INVALID_ARGS;
  }
  mica::Channel ch;
  mica_status_t s = mica::driver::WaitForService(name.service_class, name.instance, "test.Echo", 1,
                                                 kTimeout, &ch);
  if (s != MICA_OK) {
    return s;
  }
  *out = ch.release();
  char buf[16];
  uint32_t n = 0;
  s = mica_channel_write(*out, 0, "ping", 4, nullptr, 0);
  if (s == MICA_OK) {
    s = Receive(*out, buf, sizeof(buf), &n);
  }
  if (s == MICA_OK && (n != 4 || memcmp(buf, "ping", 4) != 0)) {
    s = MICA_ERR_IO_INVALID;
  }
  if (s != MICA_OK) {
    mica_handle_close(*out);
  }
  return s;
}

// --connect: open and ping. --reconnect: then make the driver crash
// (the test drivers' services crash on "crash"), see PEER_CLOSED, open the
// service again (its restarted driver publishes it anew) and ping.
int Connect(const char* what, bool crash) {
  mica_handle_t ch = MICA_HANDLE_INVALID;
  mica_status_t s = Open(what, &ch);
  if (s != MICA_OK) {
    printf("drivers: %s: %s\n", what, StatusName(s));
    return 1;
  }
  printf("drivers: %s answered \"ping\"\n", what);
  if (!crash) {
    mica_handle_close(ch);
    return 0;
  }
  s = mica_channel_write(ch, 0, "crash", 5, nullptr, 0);
  char buf[16];
  uint32_t n = 0;
  if (s == MICA_OK) {
    s = Receive(ch, buf, sizeof(buf), &n);
  }
  mica_handle_close(ch);
  printf("drivers: %s closed: %s\n", what, StatusName(s));
  if (s != MICA_ERR_PEER_CLOSED) {
    return 1;
  }
  s = Open(what, &ch);
  if (s != MICA_OK) {
    printf("drivers: %s: reconnecting: %s\n", what, StatusName(s));
    return 1;
  }
  mica_handle_close(ch);
  printf("drivers: %s answered \"ping\" after reconnecting\n", what);
  return 0;
}

// --rtc: read the time; on every end of the driver, reconnect and read
// again (at most kRounds connections; the manager ends this program).
int Rtc(const char* what) {
  constexpr int kRounds = 8;
  ServiceName name;
  if (!ParseService(what, &name)) {
    printf("drivers: %s: %s\n", what, StatusName(MICA_ERR_INVALID_ARGS));
    return 1;
  }
  for (int round = 0; round < kRounds; round++) {
    mica::Channel ch;
    mica_status_t s = mica::driver::WaitForService<idl::rtc::Rtc>(name.service_class, name.instance,
                                                                  kTimeout, &ch);
    if (s != MICA_OK) {
      printf("drivers: %s: %s\n", what, StatusName(s));
      return 1;
    }
    idl::rtc::RtcSyncClient rtc(static_cast<mica::Channel&&>(ch));
    idl::rtc::Rtc::GetRequest req;
    idl::rtc::Rtc::GetResponse resp;
    s = rtc.Get(req, &resp);
    if (s == MICA_OK) {
      s = resp.status;
    }
    if (s == MICA_OK) {
      printf("drivers: %s time %llu%s\n", what, static_cast<unsigned long long>(resp.utc_seconds),
             round == 0 ? "" : " after reconnecting");
      mica_signals_t seen = 0;
      s = mica_object_wait_one(rtc.channel().get(), MICA_CHANNEL_PEER_CLOSED, MICA_TIME_INFINITE,
                               &seen);
      printf("drivers: %s closed: %s\n", what, StatusName(s == MICA_OK ? MICA_ERR_PEER_CLOSED : s));
    } else {
      printf("drivers: %s request in flight: %s\n", what, StatusName(s));
    }
    if (s != MICA_OK && s != MICA_ERR_PEER_CLOSED) {
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace drivers

int main(int argc, char** argv) {
  using namespace drivers;
  mica_handle_t devices = mica::driver::ServiceDirectory();
  mica::Channel inspect(
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_INSPECT, 0)));
  if (devices == MICA_HANDLE_INVALID || !inspect) {
    printf("drivers: no channel to the driver manager (start it with drivers.then=bin/drivers)\n");
    return 1;
  }
  int status = List(inspect);
  for (int i = 1; i < argc && status == 0; i++) {
    if (strncmp(argv[i], "--connect=", 10) == 0) {
      status = Connect(argv[i] + 10, false);
    } else if (strncmp(argv[i], "--reconnect=", 12) == 0) {
      status = Connect(argv[i] + 12, true);
    } else if (strncmp(argv[i], "--rtc=", 6) == 0) {
      status = Rtc(argv[i] + 6);
    } else if (strncmp(argv[i], "--services=", 11) == 0) {
      status = Services(argv[i] + 11);
    } else if (strncmp(argv[i], "--unavailable=", 14) == 0) {
      status = Unavailable(argv[i] + 14);
    } else if (strncmp(argv[i], "--flood=", 8) == 0) {
      status = Flood(argv[i] + 8);
      if (status == 0) {
        status = List(inspect);
      }
    }
  }
  return status;
}
