#include "kernel/object/debuglog.h"

#include "kernel/top/log.h"

void DebuglogDispatcher::Write(const char* who, uint64_t koid, const char* data, size_t len) {
  // One log line per text line, without the trailing newline.
  while (len > 0) {
    size_t n = 0;
    while (n < len && n < kMaxRecord && data[n] != '\n') {
      n++;
    }
    KLog("%s(%llu): %.*s", who, static_cast<unsigned long long>(koid), static_cast<int>(n), data);
    if (n < len && data[n] == '\n') {
      n++;
    }
    data += n;
    len -= n;
  }
}
