// A minimal test framework for bin/async-test with core-tests' line
// protocol (system/core/core-tests/README.md):
//   async-test: start N
//   async-test: PASS <name>
//   async-test: FAIL <name>: <file>:<line>: <what>
//   async-test: done passed=P failed=F
// TEST(name) registers a case from a constructor; cases run in link order.
// CHECK*/CHECK_EQ/CHECK_OK record the first failure and return from the
// case.
#pragma once

#include <mica/async/loop.h>
#include <mica/syscalls.h>
#include <stdint.h>

namespace async_test {

using TestFn = void (*)();
void Register(const char* name, TestFn fn);
// Records a failure of the running case (the first one is reported).
void Fail(const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
bool Failed();

// How many handles refer to the object of `handle` (MICA_INFO_HANDLE_COUNT);
// -1 if the call fails.
int64_t HandleCount(mica_handle_t handle);
// Runs fn(arg) on a new thread; Join waits for it.
struct Thread {
  void* impl = nullptr;
};
mica_status_t StartThread(Thread* t, int (*fn)(void*), void* arg);
void JoinThread(Thread* t);

}  // namespace async_test

#define TEST(name)                                             \
  static void test_##name();                                   \
  __attribute__((constructor)) static void register_##name() { \
    ::async_test::Register(#name, test_##name);                \
  }                                                            \
  static void test_##name()

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      ::async_test::Fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
      return;                                                     \
    }                                                             \
  } while (0)

#define CHECK_EQ(a, b)                                                                         \
  do {                                                                                         \
    long long _a = static_cast<long long>(a), _b = static_cast<long long>(b);                  \
    if (_a != _b) {                                                                            \
      ::async_test::Fail(__FILE__, __LINE__, "%s == %s: got %lld, want %lld", #a, #b, _a, _b); \
      return;                                                                                  \
    }                                                                                          \
  } while (0)

#define CHECK_GE(a, b)                                                                     \
  do {                                                                                     \
    long long _a = static_cast<long long>(a), _b = static_cast<long long>(b);              \
    if (_a < _b) {                                                                         \
      ::async_test::Fail(__FILE__, __LINE__, "%s >= %s: got %lld < %lld", #a, #b, _a, _b); \
      return;                                                                              \
    }                                                                                      \
  } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), MICA_OK)
