// bin/idl-test: the framework of test.h and main.
#include <mica/rt/thread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "system/idl/test/target/test.h"

namespace idl_target {
namespace {

constexpr int kMaxTests = 64;
constexpr int kLineMax = 200;

struct Case {
  const char* name;
  TestFn fn;
};
Case g_cases[kMaxTests];
int g_count = 0;
bool g_too_many = false;
bool g_failed = false;
char g_reason[kLineMax];

}  // namespace

void Register(const char* name, TestFn fn) {
  if (g_count == kMaxTests) {
    g_too_many = true;
    return;
  }
  g_cases[g_count++] = {name, fn};
}

void Fail(const char* file, int line, const char* fmt, ...) {
  if (g_failed) {
    return;
  }
  g_failed = true;
  const char* base = strrchr(file, '/');
  base = base != nullptr ? base + 1 : file;
  int n = snprintf(g_reason, sizeof(g_reason), "%s:%d: ", base, line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_reason + n, sizeof(g_reason) - n, fmt, ap);
  va_end(ap);
}

bool Failed() {
  return g_failed;
}

mica_status_t StartThread(Thread* t, int (*fn)(void*), void* arg) {
  mica_rt_thread_t* th = nullptr;
  mica_status_t s = mica_rt_thread_create(&th, fn, arg, "idl-test", 0);
  t->impl = th;
  return s;
}

void JoinThread(Thread* t) {
  if (t->impl != nullptr) {
    mica_rt_thread_join(static_cast<mica_rt_thread_t*>(t->impl), nullptr);
    t->impl = nullptr;
  }
}

}  // namespace idl_target

int main() {
  using namespace idl_target;
  printf("idl-test: start %d\n", g_count + (g_too_many ? 1 : 0));
  int passed = 0, failed = 0;
  for (int i = 0; i < g_count; i++) {
    g_failed = false;
    g_reason[0] = '\0';
    g_cases[i].fn();
    if (g_failed) {
      failed++;
      printf("idl-test: FAIL %s: %s\n", g_cases[i].name, g_reason);
    } else {
      passed++;
      printf("idl-test: PASS %s\n", g_cases[i].name);
    }
  }
  if (g_too_many) {
    failed++;
    printf("idl-test: FAIL framework.registry: more than %d tests\n", kMaxTests);
  }
  printf("idl-test: done passed=%d failed=%d\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
