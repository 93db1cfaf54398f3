// bin/drivers (drivers.cc): what its files share. drivers_services.cc
// holds the service-directory checks (--services, --unavailable).
#pragma once

#include <mica/syscalls.h>
#include <stdint.h>

namespace drivers {

// How long bin/drivers waits for a service or an answer.
inline constexpr mica_duration_t kTimeout = 5'000'000'000;

struct ServiceName {
  char service_class[32] = {};
  uint32_t instance = 0;
};

// Parses "<class>/<instance>" (a class of 1..31 bytes, a decimal instance
// of at most 9 digits); false for anything else.
bool ParseService(const char* text, ServiceName* out);

// --services=<class>/<instance> and --unavailable=<class>/<instance>
// (drivers.cc's header comment): 0 when every answer was as expected.
int Services(const char* what);
int Unavailable(const char* what);
// --flood=<class>/<instance> (drivers_flood.cc): a client that floods the
// rtc service: 0 when the driver kept serving others.
int Flood(const char* what);

}  // namespace drivers
