// core-tests' test framework: registration, expectations, the report.
//
// A test is a function registered with TEST(suite, name); a constructor
// adds it to a table before main() runs, so tests run in the order the
// linker lays out the constructors (file by file, top to bottom). main()
// (test.c) runs every test and prints, on stdout (the debug log):
//
//   core-tests: start <N>
//   core-tests: PASS <suite>.<name>
//   core-tests: FAIL <suite>.<name>: <file>:<line>: <what>
//   core-tests: done passed=<P> failed=<F>
//
// then exits with status 0 if every test passed, else 1. test/harness
// parses these lines (docs/testing.md). A failing test's further failures
// are printed as `core-tests:   also <file>:<line>: <what>` before its FAIL
// line. Every line fits one debug log record (MICA_LOG_MAX_DATA bytes).
//
// EXPECT_* record a failure and go on; ASSERT_* record it and return from
// the test function. Values are compared as int64_t (handles, rights and
// signals are 32-bit unsigned and convert exactly). *_STATUS print status
// names.
//
// Under allocation fault injection (`core-tests failalloc`, with
// kernel.failalloc= on the kernel command line; docs/testing.md) each test
// runs with its thread opted in (MICA_PROP_THREAD_FAIL_ALLOC). A test whose
// first failure is a value that is MICA_ERR_NO_MEMORY (the status or value
// an expectation got, or a status a helper got, ct_note_status) stopped
// because of an injected failure: injection is then turned off for the rest
// of the test, and the test is reported as
//   core-tests: PASS <suite>.<name> [injected: <file>:<line>: <what>]
// Any other first failure is a FAIL as usual. At the end,
//   core-tests: failalloc tests=<T> injected=<I> kernel: injected=<N>
//       syscalls=<S> no_memory=<M> ok=<K> other=<O>
// (one line) gives what the kernel did (MICA_INFO_FAIL_ALLOC), and a last
// test, failalloc.every_injected_call_returned_no_memory, fails unless
// O is 0 and N is not.
#pragma once

#include <mica/syscalls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ct_test_fn)(void);

void ct_register(const char* suite, const char* name, ct_test_fn fn);

// main()'s arguments (from the bootstrap message userboot sent).
extern int ct_argc;
extern char** ct_argv;

#define TEST(suite, name)                                                       \
  static void ct_test_##suite##_##name(void);                                   \
  __attribute__((constructor)) static void ct_register_##suite##_##name(void) { \
    ct_register(#suite, #name, ct_test_##suite##_##name);                       \
  }                                                                             \
  static void ct_test_##suite##_##name(void)

// Records a failure of the running test.
void ct_fail(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
// As ct_fail; `no_memory` says the failure's value was MICA_ERR_NO_MEMORY.
void ct_fail_value(const char* file, int line, bool no_memory, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
// For helpers that hide a call's status from the test (they return an
// invalid handle instead): records a failure if `status` is
// MICA_ERR_NO_MEMORY, which the test could not tell apart otherwise.
void ct_note_status(const char* file, int line, const char* expr, mica_status_t status);
// True when the suite runs under allocation fault injection.
bool ct_failalloc_mode(void);
// True once the running test has failed.
bool ct_failed(void);
// A short label added to failure messages until the next call (NULL clears
// it): which case of a loop failed.
void ct_set_context(const char* label);
// "MICA_ERR_BAD_HANDLE" for -11, "?" for a value that is no status.
const char* ct_status_name(int64_t status);

void ct_fail_cmp(const char* file, int line, const char* a_text, const char* op, const char* b_text,
                 int64_t a, int64_t b);
void ct_fail_status(const char* file, int line, const char* expr, int64_t got, int64_t want);
void ct_fail_status2(const char* file, int line, const char* expr, int64_t got, int64_t want1,
                     int64_t want2);

#define CT_CMP_(a, op, b, on_fail)                                     \
  do {                                                                 \
    int64_t ct_a_ = (int64_t)(a);                                      \
    int64_t ct_b_ = (int64_t)(b);                                      \
    if (!(ct_a_ op ct_b_)) {                                           \
      ct_fail_cmp(__FILE_NAME__, __LINE__, #a, #op, #b, ct_a_, ct_b_); \
      on_fail;                                                         \
    }                                                                  \
  } while (0)

#define CT_STATUS_(expr, want, on_fail)                                  \
  do {                                                                   \
    int64_t ct_got_ = (int64_t)(expr);                                   \
    int64_t ct_want_ = (int64_t)(want);                                  \
    if (ct_got_ != ct_want_) {                                           \
      ct_fail_status(__FILE_NAME__, __LINE__, #expr, ct_got_, ct_want_); \
      on_fail;                                                           \
    }                                                                    \
  } while (0)

#define CT_TRUE_(cond, on_fail)                               \
  do {                                                        \
    if (!(cond)) {                                            \
      ct_fail(__FILE_NAME__, __LINE__, "expected %s", #cond); \
      on_fail;                                                \
    }                                                         \
  } while (0)

#define CT_NOTHING_ ((void)0)

#define EXPECT_EQ(a, b) CT_CMP_(a, ==, b, CT_NOTHING_)
#define EXPECT_NE(a, b) CT_CMP_(a, !=, b, CT_NOTHING_)
#define EXPECT_LT(a, b) CT_CMP_(a, <, b, CT_NOTHING_)
#define EXPECT_LE(a, b) CT_CMP_(a, <=, b, CT_NOTHING_)
#define EXPECT_GT(a, b) CT_CMP_(a, >, b, CT_NOTHING_)
#define EXPECT_GE(a, b) CT_CMP_(a, >=, b, CT_NOTHING_)
#define EXPECT_TRUE(c) CT_TRUE_(c, CT_NOTHING_)
#define EXPECT_FALSE(c) CT_TRUE_(!(c), CT_NOTHING_)
#define EXPECT_STATUS(expr, want) CT_STATUS_(expr, want, CT_NOTHING_)
#define EXPECT_OK(expr) CT_STATUS_(expr, MICA_OK, CT_NOTHING_)

#define ASSERT_EQ(a, b) CT_CMP_(a, ==, b, return)
#define ASSERT_NE(a, b) CT_CMP_(a, !=, b, return)
#define ASSERT_LT(a, b) CT_CMP_(a, <, b, return)
#define ASSERT_LE(a, b) CT_CMP_(a, <=, b, return)
#define ASSERT_GT(a, b) CT_CMP_(a, >, b, return)
#define ASSERT_GE(a, b) CT_CMP_(a, >=, b, return)
#define ASSERT_TRUE(c) CT_TRUE_(c, return)
#define ASSERT_FALSE(c) CT_TRUE_(!(c), return)
#define ASSERT_STATUS(expr, want) CT_STATUS_(expr, want, return)
#define ASSERT_OK(expr) CT_STATUS_(expr, MICA_OK, return)

// For calls where the documentation allows either of two statuses (several
// errors apply and which one is reported is unspecified).
#define EXPECT_STATUS_EITHER(expr, want1, want2)                                  \
  do {                                                                            \
    int64_t ct_got_ = (int64_t)(expr);                                            \
    if (ct_got_ != (int64_t)(want1) && ct_got_ != (int64_t)(want2)) {             \
      ct_fail_status2(__FILE_NAME__, __LINE__, #expr, ct_got_, (want1), (want2)); \
    }                                                                             \
  } while (0)
