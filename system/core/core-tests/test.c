// The test runner: the registry TEST() fills, failure recording and the
// report lines (test.h).
#include "system/core/core-tests/test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_MAX_TESTS 1024
// One report line must fit one debug log record (MICA_LOG_MAX_DATA bytes,
// newline included), or the console would show it as two lines.
#define CT_LINE_MAX ((int)MICA_LOG_MAX_DATA)

typedef struct {
  const char* suite;
  const char* name;
  ct_test_fn fn;
} ct_test_t;

static ct_test_t tests[CT_MAX_TESTS];
static size_t test_count;
static bool too_many_tests;

static const ct_test_t* current;
static int failures_in_current;
static char first_failure[CT_LINE_MAX];
static const char* context;

void ct_register(const char* suite, const char* name, ct_test_fn fn) {
  if (test_count == CT_MAX_TESTS) {
    too_many_tests = true;  // reported by main() as a failure
    return;
  }
  tests[test_count++] = (ct_test_t){suite, name, fn};
}

bool ct_failed(void) {
  return failures_in_current != 0;
}

void ct_set_context(const char* label) {
  context = label;
}

void ct_fail(const char* file, int line, const char* fmt, ...) {
  char what[CT_LINE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  char text[CT_LINE_MAX];
  snprintf(text, sizeof(text), "%s:%d: %s%s%s%s", file, line, what, context ? " [" : "",
           context ? context : "", context ? "]" : "");
  if (failures_in_current++ == 0) {
    memcpy(first_failure, text, sizeof(text));
  } else {
    printf("core-tests:   also %.*s\n", CT_LINE_MAX - 32, text);
  }
}

const char* ct_status_name(int64_t status) {
  switch (status) {
#define CT_STATUS_CASE(s) \
  case s:                 \
    return #s;
    CT_STATUS_CASE(MICA_OK)
    CT_STATUS_CASE(MICA_ERR_INTERNAL)
    CT_STATUS_CASE(MICA_ERR_NOT_SUPPORTED)
    CT_STATUS_CASE(MICA_ERR_NO_RESOURCES)
    CT_STATUS_CASE(MICA_ERR_NO_MEMORY)
    CT_STATUS_CASE(MICA_ERR_INVALID_ARGS)
    CT_STATUS_CASE(MICA_ERR_BAD_HANDLE)
    CT_STATUS_CASE(MICA_ERR_WRONG_TYPE)
    CT_STATUS_CASE(MICA_ERR_BAD_SYSCALL)
    CT_STATUS_CASE(MICA_ERR_OUT_OF_RANGE)
    CT_STATUS_CASE(MICA_ERR_BUFFER_TOO_SMALL)
    CT_STATUS_CASE(MICA_ERR_BAD_STATE)
    CT_STATUS_CASE(MICA_ERR_TIMED_OUT)
    CT_STATUS_CASE(MICA_ERR_SHOULD_WAIT)
    CT_STATUS_CASE(MICA_ERR_CANCELED)
    CT_STATUS_CASE(MICA_ERR_PEER_CLOSED)
    CT_STATUS_CASE(MICA_ERR_NOT_FOUND)
    CT_STATUS_CASE(MICA_ERR_ALREADY_EXISTS)
    CT_STATUS_CASE(MICA_ERR_ALREADY_BOUND)
    CT_STATUS_CASE(MICA_ERR_UNAVAILABLE)
    CT_STATUS_CASE(MICA_ERR_ACCESS_DENIED)
    CT_STATUS_CASE(MICA_ERR_IO)
    CT_STATUS_CASE(MICA_ERR_IO_INVALID)
    CT_STATUS_CASE(MICA_ERR_IO_DATA_INTEGRITY)
#undef CT_STATUS_CASE
    default:
      return "?";
  }
}

void ct_fail_cmp(const char* file, int line, const char* a_text, const char* op, const char* b_text,
                 int64_t a, int64_t b) {
  ct_fail(file, line, "%.48s %s %.48s: %lld (0x%llx) vs %lld (0x%llx)", a_text, op, b_text,
          (long long)a, (unsigned long long)a, (long long)b, (unsigned long long)b);
}

void ct_fail_status(const char* file, int line, const char* expr, int64_t got, int64_t want) {
  ct_fail(file, line, "%.80s: got %lld %s, want %s", expr, (long long)got, ct_status_name(got),
          ct_status_name(want));
}

void ct_fail_status2(const char* file, int line, const char* expr, int64_t got, int64_t want1,
                     int64_t want2) {
  ct_fail(file, line, "%.64s: got %lld %s, want %s or %s", expr, (long long)got,
          ct_status_name(got), ct_status_name(want1), ct_status_name(want2));
}

int ct_argc;
char** ct_argv;

int main(int argc, char** argv) {
  ct_argc = argc;
  ct_argv = argv;
  printf("core-tests: start %zu\n", test_count + (too_many_tests ? 1 : 0));
  int passed = 0;
  int failed = 0;
  for (size_t i = 0; i < test_count; i++) {
    current = &tests[i];
    failures_in_current = 0;
    context = NULL;
    current->fn();
    if (failures_in_current == 0) {
      passed++;
      printf("core-tests: PASS %s.%s\n", current->suite, current->name);
    } else {
      failed++;
      printf("core-tests: FAIL %s.%s: %.*s\n", current->suite, current->name, CT_LINE_MAX - 80,
             first_failure);
    }
  }
  if (too_many_tests) {
    // Unreachable unless the table is outgrown: never silently drop tests.
    failed++;
    printf("core-tests: FAIL framework.registry: more than %d tests; raise CT_MAX_TESTS\n",
           CT_MAX_TESTS);
  }
  printf("core-tests: done passed=%d failed=%d\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
