#include "system/core/log_service/options.h"

#include <string.h>

#include <string_view>

namespace log_service {

namespace {

// A decimal number in [lo, hi], nothing else.
bool ParseNumber(std::string_view s, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (s.empty() || s.size() > 12) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < lo || v > hi) {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

const char* ParseOption(const char* word, Options* opts) {
  std::string_view w(word);
  auto value = [&w](std::string_view key, std::string_view* v) {
    if (w.size() > key.size() && w.substr(0, key.size()) == key) {
      *v = w.substr(key.size());
      return true;
    }
    return false;
  };
  std::string_view v;
  uint64_t n = 0;
  if (value("--capacity=", &v)) {
    if (!ParseNumber(v, Ring::kMinCapacity, 16u << 20, &n)) {
      return word;
    }
    opts->capacity = static_cast<size_t>(n);
  } else if (value("--console=", &v)) {
    Severity s;
    if (v == "none") {
      opts->console = false;
    } else if (ParseSeverity(v, &s)) {
      opts->console = true;
      opts->console_min = s;
    } else {
      return word;
    }
  } else if (value("--kernel-poll-ms=", &v)) {
    if (!ParseNumber(v, 1, 60000, &n)) {
      return word;
    }
    opts->kernel_poll_ms = static_cast<uint32_t>(n);
  } else if (value("--max-connections=", &v)) {
    if (!ParseNumber(v, 1, 4096, &n)) {
      return word;
    }
    opts->max_connections = static_cast<uint32_t>(n);
  } else if (w == "--no-kernel") {
    opts->merge_kernel = false;
  } else if (w == "--exit-when-idle") {
    opts->exit_when_idle = true;
  } else {
    return word;
  }
  return nullptr;
}

}  // namespace log_service
