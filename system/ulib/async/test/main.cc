// bin/async-test: the framework of test.h and main.
#include <mica/rt/thread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "system/ulib/async/test/test.h"

namespace async_test {
namespace {

constexpr int kMaxTests = 128;
constexpr int kLineMax = 200;  // under MICA_LOG_MAX_DATA with the prefix

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

int64_t HandleCount(mica_handle_t handle) {
  mica_info_handle_count_t info = {};
  size_t actual = 0, avail = 0;
  mica_status_t s =
      mica_object_get_info(handle, MICA_INFO_HANDLE_COUNT, &info, sizeof(info), &actual, &avail);
  return s == MICA_OK ? static_cast<int64_t>(info.handle_count) : -1;
}

mica_status_t StartThread(Thread* t, int (*fn)(void*), void* arg) {
  mica_rt_thread_t* th = nullptr;
  mica_status_t s = mica_rt_thread_create(&th, fn, arg, "async-test", 0);
  t->impl = th;
  return s;
}

void JoinThread(Thread* t) {
  if (t->impl != nullptr) {
    mica_rt_thread_join(static_cast<mica_rt_thread_t*>(t->impl), nullptr);
    t->impl = nullptr;
  }
}

}  // namespace async_test

int main() {
  using namespace async_test;
  printf("async-test: start %d\n", g_count + (g_too_many ? 1 : 0));
  int passed = 0, failed = 0;
  for (int i = 0; i < g_count; i++) {
    g_failed = false;
    g_reason[0] = '\0';
    g_cases[i].fn();
    if (g_failed) {
      failed++;
      printf("async-test: FAIL %s: %s\n", g_cases[i].name, g_reason);
    } else {
      passed++;
      printf("async-test: PASS %s\n", g_cases[i].name);
    }
  }
  if (g_too_many) {
    failed++;
    printf("async-test: FAIL framework.registry: more than %d tests\n", kMaxTests);
  }
  printf("async-test: done passed=%d failed=%d\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
