// See record_format.h.
#include "system/core/driver_manager/record_format.h"

#include <stdio.h>
#include <string.h>

namespace driver_manager {
namespace {

// strnlen (not in picolibc's strict C headers).
size_t BoundedLen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    n++;
  }
  return n;
}

}  // namespace

void FormatRecord(const mica::driver::wire::NodeRecord& r, char* buf, size_t size) {
  namespace wire = mica::driver::wire;
  // The strings come from a peer: bound each by its array.
  int path_len = static_cast<int>(BoundedLen(r.path, sizeof(r.path)));
  int driver_len = static_cast<int>(BoundedLen(r.driver, sizeof(r.driver)));
  int compat_len = static_cast<int>(BoundedLen(r.compatible, sizeof(r.compatible)));
  int svc_len = static_cast<int>(BoundedLen(r.services, sizeof(r.services)));
  size_t used = 0;
  auto put = [&](int n) {
    if (n > 0) {
      used += static_cast<size_t>(n);
      used = used >= size ? size - 1 : used;
    }
  };
  put(snprintf(buf, size, "node %.*s [%s]", path_len, r.path, wire::StateName(r.state)));
  if (driver_len != 0) {
    put(snprintf(buf + used, size - used, " driver %.*s process %llu restarts %u", driver_len,
                 r.driver, static_cast<unsigned long long>(r.koid), r.restarts));
  }
  if (compat_len != 0) {
    put(snprintf(buf + used, size - used, " compatible %.*s", compat_len, r.compatible));
  }
  if (svc_len != 0) {
    put(snprintf(buf + used, size - used, " services %.*s", svc_len, r.services));
  }
}

}  // namespace driver_manager
