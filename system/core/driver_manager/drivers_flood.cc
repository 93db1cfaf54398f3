// bin/drivers --flood=<class>/<instance> (drivers.h): a client that
// misbehaves toward a driver's IDL rtc service, as a buggy one would. It
// opens kConnections connections and keeps them; on every one it sends
// kRequests Get requests and never reads the replies; on every tenth it
// also sends a malformed message (which must close that connection only,
// with an epitaph). Then a fresh client must still read the time, and
// again once every flooding connection is closed:
//   drivers: <what> flood: <n> connections, <r> requests unread,
//            <m> malformed closed
//   drivers: <what> flood: a new client read the time (<when>)
// (<when> is `during` or `after`).
#include <idl/rtc_ipc.h>
#include <mica/driver/service.h>
#include <mica/driver/status_name.h>
#include <mica/idl/wire.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/drivers.h"

namespace drivers {
namespace {

using mica::driver::StatusName;

constexpr int kConnections = 300;
constexpr int kRequests = 40;
constexpr int kMalformedEvery = 10;

mica_time_t After(mica_duration_t d) {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  return now + d;
}

mica_status_t ReadTime(const ServiceName& name, const char* what, const char* when) {
  mica::Channel ch;
  mica_status_t s =
      mica::driver::OpenService<idl::rtc::Rtc>(name.service_class, name.instance, &ch);
  idl::rtc::Rtc::GetResponse resp;
  if (s == MICA_OK) {
    idl::rtc::RtcSyncClient rtc(static_cast<mica::Channel&&>(ch));
    rtc.set_deadline(After(kTimeout));
    idl::rtc::Rtc::GetRequest req;
    s = rtc.Get(req, &resp);
  }
  s = s != MICA_OK ? s : resp.status;
  if (s == MICA_OK) {
    printf("drivers: %s flood: a new client read the time (%s)\n", what, when);
  } else {
    printf("drivers: %s flood: a new client failed (%s): %s\n", what, when, StatusName(s));
  }
  return s;
}

// Whether the driver closed `ch` (PEER_CLOSED) within the timeout.
bool Closed(mica_handle_t ch) {
  mica_signals_t seen = 0;
  return mica_object_wait_one(ch, MICA_CHANNEL_PEER_CLOSED, After(kTimeout), &seen) == MICA_OK;
}

}  // namespace

int Flood(const char* what) {
  ServiceName name;
  if (!ParseService(what, &name)) {
    printf("drivers: %s: %s\n", what, StatusName(MICA_ERR_INVALID_ARGS));
    return 1;
  }
  static mica_handle_t conns[kConnections];
  int opened = 0;
  int unread = 0;
  int malformed = 0;
  int closed = 0;
  alignas(8) uint8_t get[mica::idl::kHeaderSize];
  mica::idl::MessageHeader h{0, mica::idl::kMagic, 0, idl::rtc::Rtc::kVersion,
                             idl::rtc::Rtc::kGetOrdinal};
  for (int i = 0; i < kConnections; i++) {
    mica::Channel ch;
    if (mica::driver::OpenService<idl::rtc::Rtc>(name.service_class, name.instance, &ch) !=
        MICA_OK) {
      continue;
    }
    conns[opened++] = ch.release();
    for (int r = 0; r < kRequests; r++) {
      h.txid = static_cast<uint32_t>(r + 1);
      memcpy(get, &h, sizeof(h));
      unread += mica_channel_write(conns[opened - 1], 0, get, sizeof(get), nullptr, 0) == MICA_OK;
    }
    if (i % kMalformedEvery == 0) {
      static const char kGarbage[] = "not an IDL message at all";
      malformed += mica_channel_write(conns[opened - 1], 0, kGarbage, sizeof(kGarbage), nullptr,
                                      0) == MICA_OK;
    }
  }
  for (int i = 0; i < opened; i += kMalformedEvery) {
    closed += Closed(conns[i]) ? 1 : 0;
  }
  printf("drivers: %s flood: %d connections, %d requests unread, %d malformed closed of %d\n", what,
         opened, unread, closed, malformed);
  mica_status_t during = ReadTime(name, what, "during");
  mica_handle_close_many(conns, static_cast<uint32_t>(opened));
  mica_status_t after = ReadTime(name, what, "after");
  return during == MICA_OK && after == MICA_OK && closed == malformed ? 0 : 1;
}

}  // namespace drivers
