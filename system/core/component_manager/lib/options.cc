// See options.h.
#include "system/core/component_manager/lib/options.h"

#include <string.h>

namespace cm {

namespace {

bool ParseU32(const char* s, uint32_t* out) {
  if (*s == '\0') {
    return false;
  }
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(*s - '0');
    if (v > 0xffffffffu) {
      return false;
    }
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool StartsWith(const char* s, const char* prefix, const char** rest) {
  size_t n = strlen(prefix);
  if (strncmp(s, prefix, n) != 0) {
    return false;
  }
  *rest = s + n;
  return true;
}

}  // namespace

const char* ParseArgument(const char* arg, Options* opts) {
  const char* v = nullptr;
  uint32_t ms = 0;
  if (StartsWith(arg, "--root=", &v) && *v != '\0') {
    opts->root = v;
  } else if (StartsWith(arg, "--exit-with=", &v) && *v == '/') {
    opts->exit_with = v;
  } else if (StartsWith(arg, "--stop-timeout-ms=", &v) && ParseU32(v, &ms)) {
    opts->stop_timeout_ms = ms;
  } else {
    return arg;
  }
  return nullptr;
}

}  // namespace cm
