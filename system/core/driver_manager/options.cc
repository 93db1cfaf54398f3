// See options.h.
#include "system/core/driver_manager/options.h"

#include <string.h>

namespace driver_manager {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool ParseNumber(const char* s, size_t len, uint64_t* out) {
  if (len == 0 || len > 9) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  *out = v;
  return true;
}

bool CopyValue(const char* s, size_t len, char* dst, size_t cap) {
  if (len == 0 || len >= cap) {
    return false;
  }
  memcpy(dst, s, len);
  dst[len] = '\0';
  return true;
}

bool Starts(const char* word, size_t len, const char* key, const char** value, size_t* vlen) {
  size_t k = strlen(key);
  if (len < k || memcmp(word, key, k) != 0) {
    return false;
  }
  *value = word + k;
  *vlen = len - k;
  return true;
}

const char* ApplyWord(const char* w, size_t len, Options* out) {
  const char* v;
  size_t n;
  if (Starts(w, len, "drivers.test=", &v, &n)) {
    return CopyValue(v, n, out->test_set, sizeof(out->test_set)) ? nullptr : "drivers.test=";
  }
  if (Starts(w, len, "drivers.run-ms=", &v, &n)) {
    return ParseNumber(v, n, &out->run_ms) ? nullptr : "drivers.run-ms=";
  }
  if (Starts(w, len, "drivers.kill=", &v, &n)) {
    const char* colon = static_cast<const char*>(memchr(v, ':', n));
    size_t ms_len = colon != nullptr ? static_cast<size_t>(colon - v) : 0;
    bool ok = colon != nullptr && ParseNumber(v, ms_len, &out->kill_ms) &&
              CopyValue(colon + 1, n - ms_len - 1, out->kill_path, sizeof(out->kill_path)) &&
              out->kill_path[0] == '/';
    return ok ? nullptr : "drivers.kill=";
  }
  if (Starts(w, len, "drivers.kill-times=", &v, &n)) {
    bool ok = ParseNumber(v, n, &out->kill_times) && out->kill_times >= 1 && out->kill_times <= 100;
    return ok ? nullptr : "drivers.kill-times=";
  }
  if (Starts(w, len, "drivers.bind-console=", &v, &n)) {
    bool ok = n == 1 && (v[0] == '0' || v[0] == '1');
    out->bind_console = ok && v[0] == '1';
    return ok ? nullptr : "drivers.bind-console=";
  }
  if (Starts(w, len, "drivers.inject=", &v, &n)) {
    const char* colon = static_cast<const char*>(memchr(v, ':', n));
    size_t name_len = colon != nullptr ? static_cast<size_t>(colon - v) : 0;
    bool ok = colon != nullptr &&
              CopyValue(v, name_len, out->inject_driver, sizeof(out->inject_driver)) &&
              CopyValue(colon + 1, n - name_len - 1, out->inject_fault, sizeof(out->inject_fault));
    return ok ? nullptr : "drivers.inject=";
  }
  if (Starts(w, len, "drivers.inject-every=", &v, &n)) {
    bool ok = n == 1 && (v[0] == '0' || v[0] == '1');
    out->inject_every = ok && v[0] == '1';
    return ok ? nullptr : "drivers.inject-every=";
  }
  if (Starts(w, len, "drivers.inject-kill-ms=", &v, &n)) {
    return ParseNumber(v, n, &out->inject_kill_ms) && out->inject_kill_ms != 0
               ? nullptr
               : "drivers.inject-kill-ms=";
  }
  if (Starts(w, len, "drivers.kmem-ms=", &v, &n)) {
    return ParseNumber(v, n, &out->kmem_ms) ? nullptr : "drivers.kmem-ms=";
  }
  if (Starts(w, len, "drivers.then-arg=", &v, &n)) {
    return CopyValue(v, n, out->then_arg, sizeof(out->then_arg)) ? nullptr : "drivers.then-arg=";
  }
  if (Starts(w, len, "drivers.then=", &v, &n)) {
    return CopyValue(v, n, out->then, sizeof(out->then)) ? nullptr : "drivers.then=";
  }
  return nullptr;
}

}  // namespace

bool FaultForStart(const Options& opts, uint32_t start, char* out, size_t cap) {
  const char* p = opts.inject_fault;
  if (*p == '\0' || cap == 0) {
    return false;
  }
  uint32_t i = 0;
  for (;;) {
    const char* end = strchr(p, ',');
    size_t len = end != nullptr ? static_cast<size_t>(end - p) : strlen(p);
    bool last = end == nullptr;
    if (i == start || (last && opts.inject_every)) {
      if (len == 0 || len >= cap || (len == 4 && memcmp(p, "none", 4) == 0)) {
        return false;
      }
      memcpy(out, p, len);
      out[len] = '\0';
      return true;
    }
    if (last) {
      return false;
    }
    p = end + 1;
    i++;
  }
}

bool IsInjectTarget(const Options& opts, const char* path, const char* driver) {
  if (opts.inject_driver[0] == '\0') {
    return false;
  }
  return strcmp(opts.inject_driver, opts.inject_driver[0] == '/' ? path : driver) == 0;
}

const char* ParseWords(const char* text, Options* out) {
  const char* p = text;
  while (p != nullptr && *p != '\0') {
    while (IsSpace(*p)) {
      p++;
    }
    const char* start = p;
    while (*p != '\0' && !IsSpace(*p)) {
      p++;
    }
    if (p != start) {
      if (const char* bad = ApplyWord(start, static_cast<size_t>(p - start), out)) {
        return bad;
      }
    }
  }
  return nullptr;
}

}  // namespace driver_manager
