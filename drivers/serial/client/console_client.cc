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
#include <mica/driver/service.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

using ::idl::serial::Serial;
using mica::driver::StatusName;

// Opens `what` (<class>/<instance>) through the manager's service directory
// (<mica/driver/service.h>), waiting up to 10 s while it is not (yet, or
// again) published.
mica_status_t OpenRetry(const char* what, mica_handle_t* out) {
  const char* slash = strchr(what, '/');
  char service_class[32];
  size_t len = slash != nullptr ? static_cast<size_t>(slash - what) : 0;
  if (len == 0 || len >= sizeof(service_class) || slash[1] == '\0') {
    return MICA_ERR_INVALID_ARGS;
  }
  memcpy(service_class, what, len);
  service_class[len] = '\0';
  char* end = nullptr;
  unsigned long instance = strtoul(slash + 1, &end, 10);
  if (*end != '\0' || instance > UINT32_MAX) {
    return MICA_ERR_INVALID_ARGS;
  }
  mica::Channel ch;
  mica_status_t s = mica::driver::WaitForService<Serial>(
      service_class, static_cast<uint32_t>(instance), 10'000'000'000, &ch);
  if (s == MICA_OK) {
    *out = ch.release();
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
  if (mica::driver::ServiceDirectory() == MICA_HANDLE_INVALID) {
    printf("console-client: no channel to the driver manager (drivers.then=bin/console-client)\n");
    return 1;
  }
  constexpr int kRounds = 16;
  for (int round = 0; round < kRounds; round++) {
    mica_handle_t ch = MICA_HANDLE_INVALID;
    mica_status_t s = OpenRetry(what, &ch);
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
