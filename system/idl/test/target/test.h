// bin/idl-test's framework, with core-tests' line protocol
// (system/core/core-tests/README.md):
//   idl-test: start N / PASS <name> / FAIL <name>: <file>:<line>: <what> /
//   idl-test: done passed=P failed=F
// TEST(name) registers a case; CHECK/CHECK_EQ record the first failure and
// return from the case.
#pragma once

#include <mica/syscalls.h>
#include <stdint.h>

namespace idl_target {

using TestFn = void (*)();
void Register(const char* name, TestFn fn);
void Fail(const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
bool Failed();

// Runs fn(arg) on a new thread; JoinThread waits for it.
struct Thread {
  void* impl = nullptr;
};
mica_status_t StartThread(Thread* t, int (*fn)(void*), void* arg);
void JoinThread(Thread* t);

}  // namespace idl_target

#define TEST(name)                                             \
  static void test_##name();                                   \
  __attribute__((constructor)) static void register_##name() { \
    ::idl_target::Register(#name, test_##name);                \
  }                                                            \
  static void test_##name()

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      ::idl_target::Fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
      return;                                                     \
    }                                                             \
  } while (0)

#define CHECK_EQ(a, b)                                                                         \
  do {                                                                                         \
    long long _a = static_cast<long long>(a), _b = static_cast<long long>(b);                  \
    if (_a != _b) {                                                                            \
      ::idl_target::Fail(__FILE__, __LINE__, "%s == %s: got %lld, want %lld", #a, #b, _a, _b); \
      return;                                                                                  \
    }                                                                                          \
  } while (0)
