// bin/console-client: a client of the console's serial service (the
// console UART's driver publishes `console/<n>`, IDL Serial,
// system/idl/serial.idl). Started by the driver manager with
// drivers.then=bin/console-client (its services channel), argument the
// service (default console/0).
//
// On each connection it reports who has the console and how many times it
// was handed over (MICA_SYSTEM_INFO_CONSOLE); on the first it writes one
// line through the service (`console-client: hello through <service>`,
// with no debug-log prefix: it went through the driver's Write), then reads
// lines for ever: each round prints `console-client: reading a line from
// <service>[ after reconnecting]` and, once a line is typed, `console-client:
// read "<line>"`. When the driver dies the pending Read ends
// (`console-client: <service> request in flight: <status>`) and the client
// reconnects (the manager ends this program when it stops).
#include <idl/serial_ipc.h>
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
using ::idl::serial::Serial;
using mica::driver::StatusName;

// Opens `what` (<class>/<instance>) through the manager's services channel
// once (the fixed-layout ConnectMessage, sdk/include/mica/driver/protocol.h;
// the one place to change when the service directory protocol lands).
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
  uint32_t handles = 0;
  mica_handle_t h = MICA_HANDLE_INVALID;
  mica_signals_t seen = 0;
  if (s == MICA_OK) {
    mica_time_t now = 0;
    mica_clock_get_monotonic(&now);
    s = mica_object_wait_one(devices, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                             now + 5'000'000'000, &seen);
  }
  if (s == MICA_OK) {
    s = wire::ReadMessage(devices, &reply, sizeof(reply), &h, 1, &n, &handles);
    if (s == MICA_OK && handles != 0) {
      mica_handle_close(h);
    }
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

// Opens `what`, retrying for 10 s while it is not (yet, or again) published.
mica_status_t OpenRetry(mica_handle_t devices, const char* what, mica_handle_t* out) {
  mica_status_t s = MICA_ERR_TIMED_OUT;
  for (int attempt = 0; attempt < 1000; attempt++) {
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

void ReportOwner() {
  mica_system_info_console_t info = {};
  if (mica_system_get_info(MICA_SYSTEM_INFO_CONSOLE, &info, sizeof(info)) == MICA_OK) {
    printf("console-client: the console is %s (hand-overs %llu)\n",
           info.owner != 0 ? "a driver's" : "the kernel's",
           static_cast<unsigned long long>(info.handovers));
  }
}

mica_status_t Hello(::idl::serial::SerialSyncClient& client, const char* what) {
  static Serial::WriteRequest req;
  req = Serial::WriteRequest();
  char line[96];
  int n = snprintf(line, sizeof(line), "console-client: hello through %s\n", what);
  for (int i = 0; i < n; i++) {
    req.data.Push(static_cast<uint8_t>(line[i]));
  }
  Serial::WriteResponse resp;
  mica_status_t s = client.Write(req, &resp);
  return s == MICA_OK ? resp.status : s;
}

// Reads lines until the connection ends; returns why it ended.
mica_status_t ReadLines(::idl::serial::SerialSyncClient& client, const char* what, bool again) {
  static Serial::ReadResponse resp;
  for (;;) {
    printf("console-client: reading a line from %s%s\n", what, again ? " after reconnecting" : "");
    Serial::ReadRequest req;
    req.max = 256;
    mica_status_t s = client.Read(req, &resp);
    if (s == MICA_OK) {
      s = resp.status;
    }
    if (s != MICA_OK) {
      return s;
    }
    uint32_t n = resp.data.count;
    if (n > 0 && resp.data.items[n - 1] == '\n') {
      n--;
    }
    printf("console-client: read \"%.*s\"\n", static_cast<int>(n),
           reinterpret_cast<const char*>(resp.data.items));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "console/0";
  mica_handle_t devices =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DEVICES, 0));
  if (devices == MICA_HANDLE_INVALID) {
    printf("console-client: no channel to the driver manager (drivers.then=bin/console-client)\n");
    return 1;
  }
  constexpr int kRounds = 16;
  for (int round = 0; round < kRounds; round++) {
    mica_handle_t ch = MICA_HANDLE_INVALID;
    mica_status_t s = OpenRetry(devices, what, &ch);
    if (s != MICA_OK) {
      printf("console-client: %s: %s\n", what, StatusName(s));
      return 1;
    }
    ::idl::serial::SerialSyncClient client{mica::Channel(ch)};
    ReportOwner();  // the service is published once the driver has the console
    if (round == 0) {
      s = Hello(client, what);
      if (s != MICA_OK) {
        printf("console-client: write to %s: %s\n", what, StatusName(s));
      }
    }
    s = ReadLines(client, what, round > 0);
    printf("console-client: %s request in flight: %s\n", what, StatusName(s));
  }
  return 0;
}
