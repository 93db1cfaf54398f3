// bin/drivers: prints the driver manager's node tree (docs/drivers.md,
// "Inspecting"), one line per node in record_format.h's format:
//   drivers: node <path> [<state>] ...
//   drivers: <n> nodes
// With `--connect=<class>/<instance>` it also opens that service through
// the manager, sends "ping" and prints
//   drivers: <class>/<instance> answered "<reply>"
// (the test drivers' services echo). The manager starts it with the
// inspection channel (drivers.then=bin/drivers).
#include <mica/driver/protocol.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/driver_manager/record_format.h"

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

int List(mica_handle_t devices) {
  wire::MessageHeader req = {wire::kList, 1};
  mica_status_t s = mica_channel_write(devices, 0, &req, sizeof(req), nullptr, 0);
  uint32_t count = 0;
  for (bool last = false; s == MICA_OK && !last;) {
    wire::NodeRecord r;
    uint32_t n = 0;
    s = Receive(devices, &r, sizeof(r), &n);
    if (s == MICA_OK && (n != sizeof(r) || r.header.ordinal != wire::kListReply)) {
      s = MICA_ERR_IO_INVALID;
    }
    if (s == MICA_OK) {
      char line[600];
      driver_manager::FormatRecord(r, line, sizeof(line));
      printf("drivers: %*s%s\n", static_cast<int>(2 * (r.depth > 16 ? 16 : r.depth)), "", line);
      last = (r.flags & wire::kListLast) != 0;
      count++;
    }
  }
  if (s != MICA_OK) {
    printf("drivers: listing failed: %s\n", StatusName(s));
    return 1;
  }
  printf("drivers: %u nodes\n", count);
  return 0;
}

int Connect(mica_handle_t devices, const char* what) {
  wire::ConnectMessage m = {};
  m.header = {wire::kConnect, 2};
  const char* slash = strchr(what, '/');
  size_t len = slash != nullptr ? static_cast<size_t>(slash - what) : 0;
  if (len == 0 || len >= sizeof(m.service_class)) {
    printf("drivers: --connect wants <class>/<instance>\n");
    return 1;
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
    s = n == sizeof(reply) ? reply.status : MICA_ERR_IO_INVALID;
  }
  char buf[64] = {};
  if (s == MICA_OK) {
    s = mica_channel_write(mine, 0, "ping", 4, nullptr, 0);
  }
  if (s == MICA_OK) {
    s = Receive(mine, buf, sizeof(buf) - 1, &n);
  }
  mica_handle_close(mine);
  if (s != MICA_OK) {
    printf("drivers: %s: %s\n", what, StatusName(s));
    return 1;
  }
  printf("drivers: %s answered \"%.*s\"\n", what, static_cast<int>(n), buf);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  mica_handle_t devices =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0));
  if (devices == MICA_HANDLE_INVALID) {
    printf("drivers: no channel to the driver manager (start it with drivers.then=bin/drivers)\n");
    return 1;
  }
  int status = List(devices);
  for (int i = 1; i < argc && status == 0; i++) {
    if (strncmp(argv[i], "--connect=", 10) == 0) {
      status = Connect(devices, argv[i] + 10);
    }
  }
  return status;
}
