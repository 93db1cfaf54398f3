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

const char* TakeRedirect(size_t* argc, char** argv, const char** target, bool* append) {
  *target = nullptr;
  *append = false;
  size_t at = 0;  // the redirection's first word, 0: none
  size_t words = 0;
  for (size_t i = 1; i < *argc; i++) {
    if (argv[i][0] != '>') {
      continue;
    }
    if (at != 0) {
      return "one redirection at a time";
    }
    bool twice = argv[i][1] == '>';
    const char* file = argv[i] + (twice ? 2 : 1);
    words = 1;
    if (*file == '\0') {
      if (i + 1 >= *argc || argv[i + 1][0] == '>') {
        return twice ? ">> needs a file" : "> needs a file";
      }
      file = argv[i + 1];
      words = 2;
      i++;
    }
    at = i + 1 - words;
    *target = file;
    *append = twice;
  }
  if (at != 0) {
    for (size_t i = at; i + words < *argc; i++) {
      argv[i] = argv[i + words];
    }
    *argc -= words;
    argv[*argc] = nullptr;
  }
  return nullptr;
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

uint8_t ParseSeverity(const char* s) {
  static const char* const kNames[] = {"trace", "debug", "info", "warn", "error", "fatal"};
  for (uint8_t i = 0; i < 6; i++) {
    if (strcmp(s, kNames[i]) == 0) {
      return static_cast<uint8_t>(i + 1);
    }
  }
  return 0;
}

const char* ParseLogArgs(int argc, char** argv, LogArgs* out) {
  *out = LogArgs();
  static const char* const kKeys[] = {"--severity", "--moniker", "--tag"};
  for (int i = 0; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "-f") == 0) {
      out->follow = true;
      continue;
    }
    int key = -1;
    const char* value = nullptr;
    for (int k = 0; k < 3; k++) {
      size_t n = strlen(kKeys[k]);
      if (strncmp(a, kKeys[k], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
        key = k;
        if (a[n] == '=') {
          value = a + n + 1;
        } else if (i + 1 < argc) {
          value = argv[++i];
        } else {
          return "a filter without its value";
        }
        break;
      }
    }
    if (key < 0) {
      return "unknown argument";
    }
    if (value[0] == '\0') {
      return "an empty filter value";
    }
    if (key == 0) {
      out->min_severity = ParseSeverity(value);
      if (out->min_severity == 0) {
        return "severity is one of trace debug info warn error fatal";
      }
    } else if (key == 1) {
      out->moniker = value;
    } else {
      out->tag = value;
    }
  }
  return nullptr;
}

}  // namespace shell
