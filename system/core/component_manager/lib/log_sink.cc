#include "system/core/component_manager/lib/log_sink.h"

#include <string.h>

namespace cm {

bool AttachesLogSink(const Manifest* provider, const Str& capability) {
  if (provider == nullptr || !capability.Equals(kLogSink)) {
    return false;
  }
  for (uint32_t i = 0; i < provider->capability_count; i++) {
    const Capability& c = provider->capabilities[i];
    if (c.kind == CapKind::kProtocol && c.name.Equals(kLogAdmin)) {
      return true;
    }
  }
  return false;
}

Use ImplicitLogSinkUse() {
  Use u;
  u.kind = CapKind::kProtocol;
  u.name.data = kLogSink;
  u.name.size = sizeof(kLogSink) - 1;
  u.from.kind = RefKind::kParent;
  static constexpr char kPath[] = "/svc/log.Sink";
  u.path.data = kPath;
  u.path.size = sizeof(kPath) - 1;
  return u;
}

size_t LogMoniker(const char* moniker, char* out, size_t size) {
  const char* m = moniker[0] == '/' ? moniker + 1 : moniker;
  if (m[0] == '\0') {
    m = "root";
  }
  size_t n = strlen(m);
  if (n > size - 1) {
    n = size - 1;
  }
  memcpy(out, m, n);
  out[n] = '\0';
  return n;
}

}  // namespace cm
