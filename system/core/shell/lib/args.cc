// See args.h.
#include "system/core/shell/lib/args.h"

#include <string.h>

namespace shell {

size_t Split(char* line, char** words, size_t max) {
  size_t n = 0;
  char* p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') {
      *p++ = '\0';
    }
    if (*p == '\0') {
      return n;
    }
    if (n == max) {
      return max + 1;
    }
    words[n++] = p;
    while (*p != '\0' && *p != ' ' && *p != '\t') {
      p++;
    }
  }
}

bool ParseU64(const char* s, uint64_t* out) {
  if (*s == '\0') {
    return false;
  }
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') {
      return false;
    }
    uint64_t d = static_cast<uint64_t>(*s - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseDuration(const char* s, uint64_t* ns) {
  char digits[24];
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') {
    if (n == sizeof(digits) - 1) {
      return false;
    }
    digits[n] = s[n];
    n++;
  }
  digits[n] = '\0';
  uint64_t v = 0;
  if (!ParseU64(digits, &v)) {
    return false;
  }
  const char* unit = s + n;
  uint64_t scale;
  if (*unit == '\0' || strcmp(unit, "ms") == 0) {
    scale = 1'000'000;
  } else if (strcmp(unit, "s") == 0) {
    scale = 1'000'000'000;
  } else {
    return false;
  }
  if (v > kMaxSleepNs / scale) {
    return false;
  }
  *ns = v * scale;
  return true;
}

}  // namespace shell
