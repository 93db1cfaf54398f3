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
// service (its provisional raw wire format, drivers/rtc/pl031/main.cc: any
// message gets the UTC seconds as a little-endian u64, not yet the IDL
// RTC protocol): it reads the time and stays connected; each time the
// driver ends it opens the service again and reads the time again:
//   drivers: <class>/<instance> time <seconds>
//   drivers: <class>/<instance> closed: MICA_ERR_PEER_CLOSED
//   drivers: <class>/<instance> request in flight: MICA_ERR_PEER_CLOSED
//   drivers: <class>/<instance> time <seconds> after reconnecting
// The manager starts it with the inspection channel
// (drivers.then=bin/drivers).
#include <idl/inspect_ipc.h>
#include <mica/driver/protocol.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

namespace wire = mica::driver::wire;
using mica::driver::StatusName;

constexpr mica_duration_t kTimeout = 5'000'000'000;

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
  const char* state = "unknown";
  switch (n.state) {
    case idl::inspect::NodeState::BOUND:
      state = "bound";
      break;
    case idl::inspect::NodeState::UNBOUND:
      state = "unbound";
      break;
    case idl::inspect::NodeState::FAILED:
      state = "failed";
      break;
    case idl::inspect::NodeState::RESTARTING:
      state = "restarting";
      break;
  }
  int depth = 0;
  for (uint32_t i = 1; i < n.path.size; i++) {
    depth += n.path.data[i] == '/' ? 1 : 0;
  }
  depth += n.path.size > 1 ? 1 : 0;
  char line[1400];
  int used = snprintf(line, sizeof(line), "%*snode %.*s [%s]", 2 * (depth > 16 ? 16 : depth), "",
                      static_cast<int>(n.path.size), n.path.data, state);
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

// The node tree, page by page, through the Inspect protocol.
int List(mica::Channel inspect) {
  idl::inspect::InspectSyncClient client(static_cast<mica::Channel&&>(inspect));
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  client.set_deadline(now + kTimeout);
  static idl::inspect::Inspect::ListNodesResponse page;
  uint32_t start = 0, total = 0;
  mica_status_t s = MICA_OK;
  do {
    idl::inspect::Inspect::ListNodesRequest req;
    req.start = start;
    s = client.ListNodes(req, &page);
    if (s == MICA_OK && page.nodes.count == 0 && start < page.total) {
      s = MICA_ERR_IO_INVALID;  // no progress
    }
    if (s != MICA_OK) {
      break;
    }
    for (const idl::inspect::Node& n : page.nodes) {
      PrintNode(n);
    }
    start += page.nodes.count;
    total = page.total;
  } while (start < total);
  if (s != MICA_OK) {
    printf("drivers: listing failed: %s\n", StatusName(s));
    return 1;
  }
  printf("drivers: %u nodes\n", total);
  return 0;
}

// Asks the manager for `what` (<class>/<instance>) once.
mica_status_t OpenOnce(mica_handle_t devices, const char* what, mica_handle_t* out) {
  wire::ConnectMessage m = {};
  m.header = {wire::kConnect, 2};
  const char* slash = strchr(what, '/');
  size_t len = slash != nullptr ? static_cast<size_t>(slash - what) : 0;
  if (len == 0 || len >= sizeof(m.service_class)) {
    return MICA_ERR_INVALID_ARGS;
  }
  memcpy(m.service_class, what, len);
  m.instance = static_cast<uint32_t>(strtoul(slash + 1, nullptr, 10));
  mica_handle_t mine = MICA_HANDLE_INVALID, theirs = MICA_HANDLE_INVALID;
  mica_status_t s = mica_channel_create(0, &mine, &theirs);
  if (s == MICA_OK) {
    s = mica_channel_write(devices, 0, &m, sizeof(m), &theirs, 1);
  }
  wire::ConnectReply reply = {};
  uint32_t n = 0;
  if (s == MICA_OK) {
    s = Receive(devices, &reply, sizeof(reply), &n);
  }
  if (s == MICA_OK) {
    s = n == sizeof(reply) && reply.header.ordinal == wire::kConnectReply ? reply.status
                                                                          : MICA_ERR_IO_INVALID;
  }
  if (s != MICA_OK) {
    mica_handle_close(mine);
    return s;
  }
  *out = mine;
  return MICA_OK;
}

// Opens `what`, retrying for 5 s while it is not (yet, or again) published.
mica_status_t OpenRetry(mica_handle_t devices, const char* what, mica_handle_t* out) {
  mica_status_t s = MICA_ERR_TIMED_OUT;
  for (int attempt = 0; attempt < 500; attempt++) {
    s = OpenOnce(devices, what, out);
    if (s != MICA_ERR_NOT_FOUND && s != MICA_ERR_UNAVAILABLE && s != MICA_ERR_PEER_CLOSED) {
      break;
    }
    mica_time_t now = 0;
    mica_clock_get_monotonic(&now);
    mica_nanosleep(now + 10'000'000);
  }
  return s;
}

// Opens `what` and checks that it echoes.
mica_status_t Open(mica_handle_t devices, const char* what, mica_handle_t* out) {
  mica_status_t s = OpenRetry(devices, what, out);
  if (s != MICA_OK) {
    return s;
  }
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
int Connect(mica_handle_t devices, const char* what, bool crash) {
  mica_handle_t ch = MICA_HANDLE_INVALID;
  mica_status_t s = Open(devices, what, &ch);
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
  s = Open(devices, what, &ch);
  if (s != MICA_OK) {
    printf("drivers: %s: reconnecting: %s\n", what, StatusName(s));
    return 1;
  }
  mica_handle_close(ch);
  printf("drivers: %s answered \"ping\" after reconnecting\n", what);
  return 0;
}

// One request on the rtc service: the UTC seconds since 1970.
mica_status_t ReadRtc(mica_handle_t ch, uint64_t* seconds) {
  mica_status_t s = mica_channel_write(ch, 0, "time", 4, nullptr, 0);
  uint32_t n = 0;
  if (s == MICA_OK) {
    s = Receive(ch, seconds, sizeof(*seconds), &n);
  }
  return s == MICA_OK && n != sizeof(*seconds) ? MICA_ERR_IO_INVALID : s;
}

// --rtc: read the time; on every end of the driver, reconnect and read
// again (at most kRounds connections; the manager ends this program).
int Rtc(mica_handle_t devices, const char* what) {
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; round++) {
    mica_handle_t ch = MICA_HANDLE_INVALID;
    mica_status_t s = OpenRetry(devices, what, &ch);
    if (s != MICA_OK) {
      printf("drivers: %s: %s\n", what, StatusName(s));
      return 1;
    }
    uint64_t seconds = 0;
    s = ReadRtc(ch, &seconds);
    if (s == MICA_OK) {
      printf("drivers: %s time %llu%s\n", what, static_cast<unsigned long long>(seconds),
             round == 0 ? "" : " after reconnecting");
      mica_signals_t seen = 0;
      s = mica_object_wait_one(ch, MICA_CHANNEL_PEER_CLOSED, MICA_TIME_INFINITE, &seen);
      printf("drivers: %s closed: %s\n", what, StatusName(s == MICA_OK ? MICA_ERR_PEER_CLOSED : s));
    } else {
      printf("drivers: %s request in flight: %s\n", what, StatusName(s));
    }
    mica_handle_close(ch);
    if (s != MICA_OK && s != MICA_ERR_PEER_CLOSED) {
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  mica_handle_t devices =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0));
  mica::Channel inspect(
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_INSPECT, 0)));
  if (devices == MICA_HANDLE_INVALID || !inspect) {
    printf("drivers: no channel to the driver manager (start it with drivers.then=bin/drivers)\n");
    return 1;
  }
  int status = List(static_cast<mica::Channel&&>(inspect));
  for (int i = 1; i < argc && status == 0; i++) {
    if (strncmp(argv[i], "--connect=", 10) == 0) {
      status = Connect(devices, argv[i] + 10, false);
    } else if (strncmp(argv[i], "--reconnect=", 12) == 0) {
      status = Connect(devices, argv[i] + 12, true);
    } else if (strncmp(argv[i], "--rtc=", 6) == 0) {
      status = Rtc(devices, argv[i] + 6);
    }
  }
  return status;
}
