// In-kernel unit tests, run at boot when the command line asks
// (kernel.test=all or kernel.test=name1,name2). Each test is reported as
//   ktest: PASS <name> (<us> us)
//   ktest: FAIL <name>: <file>:<line>: <expression>
// and the run ends with `ktest: done passed=<P> failed=<F>` (docs/testing.md).
#pragma once

#include <stdint.h>

namespace ktest {

class Context {
 public:
  bool Check(bool ok, const char* expr, const char* file, int line);
  bool CheckEq(uint64_t a, uint64_t b, const char* expr, const char* file, int line);
  bool failed() const { return failed_; }
  const char* message() const { return message_; }

 private:
  bool failed_ = false;
  char message_[160] = {};
};

struct Test {
  const char* name;
  void (*fn)(Context* ctx);
};

// Runs the tests selected by `filter` ("all" or a comma-separated list).
// Returns the number that failed.
int Run(const char* filter);

}  // namespace ktest

#define KTEST(name)                                                                \
  static void ktest_fn_##name(ktest::Context* ctx);                                \
  [[gnu::section(".ktests"), gnu::used]] static const ktest::Test ktest_##name = { \
      #name, ktest_fn_##name};                                                     \
  static void ktest_fn_##name(ktest::Context* ctx)

// Record a failure and return from the test.
#define KEXPECT(cond)                                   \
  do {                                                  \
    if (!ctx->Check((cond), #cond, __FILE__, __LINE__)) \
      return;                                           \
  } while (0)
#define KEXPECT_EQ(a, b)                                                                          \
  do {                                                                                            \
    if (!ctx->CheckEq(static_cast<uint64_t>(a), static_cast<uint64_t>(b), #a " == " #b, __FILE__, \
                      __LINE__))                                                                  \
      return;                                                                                     \
  } while (0)
