// Kernel assertions.
//
// MICA_ASSERT(expr) is always checked; MICA_DEBUG_ASSERT(expr) is checked when
// MICA_DEBUG_ASSERTS is non-zero (the default). A failed assertion calls
// mica_assert_fail(), which never returns. The library only declares it:
//   - the kernel defines it as a panic (names the CPU, prints a backtrace);
//   - host tests link //kernel/lib:host_assert, which prints the failure to
//     stderr and calls abort(), so death tests can match the message.
#pragma once

#ifndef MICA_DEBUG_ASSERTS
#define MICA_DEBUG_ASSERTS 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

// Reports a failed assertion. `expr` is the text of the failed expression (or
// a message). Must not return.
[[noreturn]] void mica_assert_fail(const char* file, int line, const char* expr);

#ifdef __cplusplus
}
#endif

#define MICA_ASSERT(expr)                          \
  do {                                             \
    if (__builtin_expect(!(expr), 0)) {            \
      mica_assert_fail(__FILE__, __LINE__, #expr); \
    }                                              \
  } while (0)

// MICA_ASSERT_MSG(expr, "message"): like MICA_ASSERT but reports `msg`
// (a string literal) next to the expression.
#define MICA_ASSERT_MSG(expr, msg)                              \
  do {                                                          \
    if (__builtin_expect(!(expr), 0)) {                         \
      mica_assert_fail(__FILE__, __LINE__, #expr " (" msg ")"); \
    }                                                           \
  } while (0)

#if MICA_DEBUG_ASSERTS
#define MICA_DEBUG_ASSERT(expr) MICA_ASSERT(expr)
#define MICA_DEBUG_ASSERT_MSG(expr, msg) MICA_ASSERT_MSG(expr, msg)
#else
#define MICA_DEBUG_ASSERT(expr) \
  do {                          \
    (void)sizeof(!(expr));      \
  } while (0)
#define MICA_DEBUG_ASSERT_MSG(expr, msg) MICA_DEBUG_ASSERT(expr)
#endif
