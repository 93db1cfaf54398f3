#include "kernel/tests/ktest.h"

#include <string.h>

#include "kernel/arch/arm64/timer.h"
#include "kernel/base/log.h"
#include "kernel/lib/printf.h"

extern "C" const ktest::Test __ktests_start[], __ktests_end[];

namespace ktest {
namespace {

const char* Basename(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool Selected(const char* filter, const char* name) {
  if (strcmp(filter, "all") == 0) {
    return true;
  }
  size_t n = strlen(name);
  for (const char* p = filter; *p;) {
    const char* comma = strchr(p, ',');
    size_t len = comma ? static_cast<size_t>(comma - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) {
      return true;
    }
    p += len + (comma ? 1 : 0);
  }
  return false;
}

}  // namespace

bool Context::Check(bool ok, const char* expr, const char* file, int line) {
  if (!ok && !failed_) {
    failed_ = true;
    mica::SNPrintf(message_, sizeof(message_), "%s:%d: %s", Basename(file), line, expr);
  }
  return ok;
}

bool Context::CheckEq(uint64_t a, uint64_t b, const char* expr, const char* file, int line) {
  if (a != b && !failed_) {
    failed_ = true;
    mica::SNPrintf(message_, sizeof(message_), "%s:%d: %s (0x%llx vs 0x%llx)", Basename(file), line,
                   expr, static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  }
  return a == b;
}

int Run(const char* filter) {
  int passed = 0, failed = 0, total = 0;
  for (const Test* t = __ktests_start; t < __ktests_end; t++) {
    if (Selected(filter, t->name)) {
      total++;
    }
  }
  KLog("ktest: start %d", total);
  for (const Test* t = __ktests_start; t < __ktests_end; t++) {
    if (!Selected(filter, t->name)) {
      continue;
    }
    Context ctx;
    uint64_t start = timer::NowNs();
    t->fn(&ctx);
    uint64_t us = (timer::NowNs() - start) / 1000;
    if (ctx.failed()) {
      failed++;
      KLog("ktest: FAIL %s: %s", t->name, ctx.message());
    } else {
      passed++;
      KLog("ktest: PASS %s (%llu us)", t->name, static_cast<unsigned long long>(us));
    }
  }
  KLog("ktest: done passed=%d failed=%d", passed, failed);
  return failed;
}

}  // namespace ktest
