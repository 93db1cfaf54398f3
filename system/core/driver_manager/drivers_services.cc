// bin/drivers' service-directory checks (drivers.cc's header comment has
// the lines): the listing of system/idl/directory.idl, every refusal of
// Open, the rtc protocol's Set, and MICA_ERR_UNAVAILABLE while a driver
// restarts.
#include <idl/directory_ipc.h>
#include <idl/rtc_ipc.h>
#include <mica/driver/service.h>
#include <mica/driver/status_name.h>
#include <mica/idl/pages.h>
#include <stdio.h>
#include <string.h>

#include "system/core/driver_manager/drivers.h"

namespace drivers {

using mica::driver::StatusName;

namespace {

mica_time_t Now() {
  mica_time_t t = 0;
  mica_clock_get_monotonic(&t);
  return t;
}

struct Published {
  char protocol[32] = {};
  uint16_t version = 0;
  bool found = false;
};

const char* StateName(idl::directory::ServiceState s) {
  return s == idl::directory::ServiceState::AVAILABLE ? "available" : "restarting";
}

// Prints the directory's listing; *out gets `name`'s protocol and version.
mica_status_t List(const ServiceName& name, Published* out) {
  using Response = idl::directory::Directory::ListResponse;
  idl::directory::DirectorySyncClient dir{mica::Channel(mica::driver::ServiceDirectory())};
  dir.set_deadline(Now() + kTimeout);
  static Response page;
  uint32_t total = 0;
  mica_status_t s = mica::idl::ForEachPage(
      dir, &idl::directory::DirectorySyncClient::List, &page, &Response::services,
      [&](const idl::directory::ServiceEntry& e) {
        printf("drivers: service %.*s/%u %.*s v%u %.*s %s\n",
               static_cast<int>(e.service_class.size), e.service_class.data, e.instance,
               static_cast<int>(e.protocol_name.size), e.protocol_name.data, e.protocol_version,
               static_cast<int>(e.node_path.size), e.node_path.data, StateName(e.state));
        if (e.service_class.Equals(name.service_class) && e.instance == name.instance &&
            e.protocol_name.size < sizeof(out->protocol)) {
          memcpy(out->protocol, e.protocol_name.data, e.protocol_name.size);
          out->version = e.protocol_version;
          out->found = true;
        }
      },
      &total);
  static_cast<void>(dir.TakeChannel().release());  // borrowed
  return s;
}

// One Open, printed; true if its status is `expected`.
bool Try(const char* service_class, uint32_t instance, const char* protocol, uint32_t version,
         mica_status_t expected) {
  mica::Channel ch;
  mica_status_t s = mica::driver::OpenService(service_class, instance, protocol,
                                              static_cast<uint16_t>(version), &ch);
  printf("drivers: open %s/%u as %s v%u: %s\n", service_class, instance,
         protocol[0] != '\0' ? protocol : "\"\"", version, StatusName(s));
  return s == expected;
}

// The rtc protocol's Set: the clock moved 1000 s ahead reads so, an
// out-of-range value is refused, and the clock is put back.
bool CheckRtcSet(const ServiceName& name) {
  mica::Channel ch;
  mica_status_t s =
      mica::driver::OpenService<idl::rtc::Rtc>(name.service_class, name.instance, &ch);
  idl::rtc::RtcSyncClient rtc(static_cast<mica::Channel&&>(ch));
  idl::rtc::Rtc::GetRequest get;
  idl::rtc::Rtc::GetResponse before, after;
  idl::rtc::Rtc::SetRequest set;
  idl::rtc::Rtc::SetResponse set_resp, bad_resp, back_resp;
  s = s == MICA_OK ? rtc.Get(get, &before) : s;
  set.utc_seconds = before.utc_seconds + 1000;
  s = s == MICA_OK ? rtc.Set(set, &set_resp) : s;
  s = s == MICA_OK ? rtc.Get(get, &after) : s;
  set.utc_seconds = -1;
  s = s == MICA_OK ? rtc.Set(set, &bad_resp) : s;
  set.utc_seconds = before.utc_seconds + (after.utc_seconds - before.utc_seconds - 1000);
  s = s == MICA_OK ? rtc.Set(set, &back_resp) : s;
  int64_t moved = after.utc_seconds - before.utc_seconds;
  bool ok = s == MICA_OK && set_resp.status == MICA_OK && moved >= 1000 && moved <= 1010 &&
            bad_resp.status == MICA_ERR_OUT_OF_RANGE && back_resp.status == MICA_OK;
  printf("drivers: %s/%u set: %s, moved %lld s, -1 refused with %s: %s\n", name.service_class,
         name.instance, StatusName(s == MICA_OK ? set_resp.status : s),
         static_cast<long long>(moved), StatusName(bad_resp.status), ok ? "ok" : "FAILED");
  return ok;
}

}  // namespace

bool ParseService(const char* text, ServiceName* out) {
  const char* slash = strchr(text, '/');
  size_t len = slash != nullptr ? static_cast<size_t>(slash - text) : 0;
  if (len == 0 || len >= sizeof(out->service_class) || slash[1] == '\0') {
    return false;
  }
  uint32_t instance = 0;
  int digits = 0;
  for (const char* p = slash + 1; *p != '\0'; p++, digits++) {
    if (*p < '0' || *p > '9' || digits == 9) {
      return false;
    }
    instance = instance * 10 + static_cast<uint32_t>(*p - '0');
  }
  memcpy(out->service_class, text, len);
  out->service_class[len] = '\0';
  out->instance = instance;
  return true;
}

int Services(const char* what) {
  ServiceName name;
  Published pub;
  mica::Channel ch;
  // Wait until it is published, whatever it speaks (a wrong protocol is
  // answered at once with WRONG_TYPE, a right one with MICA_OK).
  mica_status_t s =
      ParseService(what, &name)
          ? mica::driver::WaitForService(name.service_class, name.instance, "?", 1, kTimeout, &ch)
          : MICA_ERR_INVALID_ARGS;
  if (s != MICA_ERR_WRONG_TYPE && s != MICA_OK) {
    printf("drivers: %s: %s\n", what, StatusName(s));
    return 1;
  }
  s = List(name, &pub);
  if (s != MICA_OK || !pub.found) {
    printf("drivers: %s: listing: %s\n", what, s != MICA_OK ? StatusName(s) : "not listed");
    return 1;
  }
  const char* c = name.service_class;
  uint32_t n = name.instance;
  const char* other = strcmp(pub.protocol, "block.Block") == 0 ? "rtc.Rtc" : "block.Block";
  bool ok = Try(c, n, pub.protocol, pub.version, MICA_OK);
  ok &= Try(c, n + 1000, pub.protocol, pub.version, MICA_ERR_NOT_FOUND);
  ok &= Try("nosuchclass", n, pub.protocol, pub.version, MICA_ERR_NOT_FOUND);
  ok &= Try(c, n, other, pub.version, MICA_ERR_WRONG_TYPE);
  ok &= Try(c, n, pub.protocol, pub.version + 1u, MICA_ERR_NOT_SUPPORTED);
  ok &= Try(c, n, pub.protocol, pub.version - 1u, MICA_ERR_NOT_SUPPORTED);
  ok &= Try(c, n, "", pub.version, MICA_ERR_INVALID_ARGS);
  ok &= Try("", n, pub.protocol, pub.version, MICA_ERR_INVALID_ARGS);
  if (strcmp(pub.protocol, idl::rtc::Rtc::kName) == 0) {
    ok &= CheckRtcSet(name);
  }
  printf("drivers: %s refusals %s\n", what, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

int Unavailable(const char* what) {
  ServiceName name;
  if (!ParseService(what, &name)) {
    printf("drivers: %s: %s\n", what, StatusName(MICA_ERR_INVALID_ARGS));
    return 1;
  }
  // Holds a channel to the running driver and waits for its end (the
  // channel's peer closes when the process dies), then opens again at
  // once: the manager restarts the driver immediately, but the new
  // instance publishes only after it has started and bound, while this
  // open is already queued behind the manager's sight of the death. (The
  // old loop opened every millisecond and could sleep through the whole
  // window on a loaded host.)
  mica::Channel held;
  mica_status_t s = mica::driver::WaitForService<idl::rtc::Rtc>(name.service_class, name.instance,
                                                                kTimeout, &held);
  if (s == MICA_OK) {
    mica_signals_t seen = 0;
    s = mica_object_wait_one(held.get(), MICA_CHANNEL_PEER_CLOSED, Now() + 2 * kTimeout, &seen);
  }
  if (s == MICA_OK) {
    mica::Channel ch;
    s = mica::driver::OpenService<idl::rtc::Rtc>(name.service_class, name.instance, &ch);
  }
  printf("drivers: open %s while its driver restarts: %s\n", what, StatusName(s));
  if (s != MICA_ERR_UNAVAILABLE) {
    return 1;
  }
  mica::Channel ch;
  s = mica::driver::WaitForService<idl::rtc::Rtc>(name.service_class, name.instance, kTimeout, &ch);
  if (s != MICA_OK) {
    printf("drivers: %s: %s\n", what, StatusName(s));
    return 1;
  }
  printf("drivers: %s open again after its driver restarted\n", what);
  return 0;
}

}  // namespace drivers
