// The test runner: the registry TEST() fills, failure recording and the
// report lines (test.h).
#include "system/core/core-tests/test.h"

#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/status_names.h>
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

// Allocation fault injection (test.h): on for the whole run; `injected`
// when the running test's first failure was MICA_ERR_NO_MEMORY.
static bool failalloc;
static bool injected;
static mica_handle_t self_thread = MICA_HANDLE_INVALID;

static mica_status_t set_failalloc(uint32_t on) {
  return mica_object_set_property(self_thread, MICA_PROP_THREAD_FAIL_ALLOC, &on, sizeof(on));
}

bool ct_failalloc_mode(void) {
  return failalloc;
}

// The threads of this process that have started and not ended.
static size_t thread_count(void) {
  size_t avail = 0;
  (void)mica_object_get_info(mica_rt_process_self(), MICA_INFO_PROCESS_THREADS, NULL, 0, NULL,
                             &avail);
  return avail;
}

// The processes in this process's job (core-tests' children live there).
static size_t process_count(void) {
  size_t avail = 0;
  (void)mica_object_get_info(mica_rt_job_default(), MICA_INFO_JOB_PROCESSES, NULL, 0, NULL, &avail);
  return avail;
}

// A test that gave up early must still end the threads it started (they may
// use its stack frame) and the processes (they may spin): waits up to 5 s
// for both counts to be back to what they were; returns how many are left.
static size_t tasks_left(size_t threads_before, size_t processes_before) {
  for (int i = 0; i < 500; i++) {
    if (thread_count() <= threads_before && process_count() <= processes_before) {
      return 0;
    }
    mica_time_t now = 0;
    mica_clock_get_monotonic(&now);
    mica_nanosleep(now + 10 * 1000 * 1000);
  }
  size_t t = thread_count(), p = process_count();
  return (t > threads_before ? t - threads_before : 0) +
         (p > processes_before ? p - processes_before : 0);
}

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

static void vfail(const char* file, int line, bool no_memory, const char* fmt, va_list ap) {
  char what[CT_LINE_MAX];
  vsnprintf(what, sizeof(what), fmt, ap);
  if (failures_in_current == 0 && failalloc && no_memory) {
    // Injected: the rest of the test runs without injection, so that it
    // cleans up; what fails further is a consequence.
    injected = true;
    (void)set_failalloc(0);
  }
  char text[CT_LINE_MAX];
  snprintf(text, sizeof(text), "%s:%d: %s%s%s%s", file, line, what, context ? " [" : "",
           context ? context : "", context ? "]" : "");
  if (failures_in_current++ == 0) {
    memcpy(first_failure, text, sizeof(text));
  } else {
    printf("core-tests:   also %.*s\n", CT_LINE_MAX - 32, text);
  }
}

void ct_fail(const char* file, int line, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(file, line, false, fmt, ap);
  va_end(ap);
}

void ct_fail_value(const char* file, int line, bool no_memory, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(file, line, no_memory, fmt, ap);
  va_end(ap);
}

void ct_note_status(const char* file, int line, const char* expr, mica_status_t status) {
  if (status == MICA_ERR_NO_MEMORY) {
    ct_fail_value(file, line, true, "%.80s: got %d MICA_ERR_NO_MEMORY", expr, status);
  }
}

const char* ct_status_name(int64_t status) {
  switch (status) {
#define CT_STATUS_CASE(code, name) \
  case code:                       \
    return #code;
    MICA_STATUS_LIST(CT_STATUS_CASE)
#undef CT_STATUS_CASE
    default:
      return "?";
  }
}

void ct_fail_cmp(const char* file, int line, const char* a_text, const char* op, const char* b_text,
                 int64_t a, int64_t b) {
  ct_fail_value(file, line, a == MICA_ERR_NO_MEMORY,
                "%.48s %s %.48s: %lld (0x%llx) vs %lld (0x%llx)", a_text, op, b_text, (long long)a,
                (unsigned long long)a, (long long)b, (unsigned long long)b);
}

void ct_fail_status(const char* file, int line, const char* expr, int64_t got, int64_t want) {
  ct_fail_value(file, line, got == MICA_ERR_NO_MEMORY, "%.80s: got %lld %s, want %s", expr,
                (long long)got, ct_status_name(got), ct_status_name(want));
}

void ct_fail_status2(const char* file, int line, const char* expr, int64_t got, int64_t want1,
                     int64_t want2) {
  ct_fail_value(file, line, got == MICA_ERR_NO_MEMORY, "%.64s: got %lld %s, want %s or %s", expr,
                (long long)got, ct_status_name(got), ct_status_name(want1), ct_status_name(want2));
}

int ct_argc;
char** ct_argv;

// After the tests under fault injection: what the kernel injected, and
// whether every call it injected into returned MICA_ERR_NO_MEMORY.
static bool failalloc_report(int tests_injected) {
  mica_info_fail_alloc_t fa;
  memset(&fa, 0, sizeof(fa));
  mica_status_t s = mica_object_get_info(mica_rt_root_resource(), MICA_INFO_FAIL_ALLOC, &fa,
                                         sizeof(fa), NULL, NULL);
  printf(
      "core-tests: failalloc tests=%zu injected=%d kernel: injected=%llu syscalls=%llu "
      "no_memory=%llu ok=%llu other=%llu\n",
      test_count, tests_injected, (unsigned long long)fa.injected, (unsigned long long)fa.syscalls,
      (unsigned long long)fa.no_memory, (unsigned long long)fa.ok, (unsigned long long)fa.other);
  const char* why = NULL;
  if (s != MICA_OK) {
    why = "cannot read MICA_INFO_FAIL_ALLOC";
  } else if (fa.mode == MICA_FAIL_ALLOC_OFF) {
    why = "kernel.failalloc= is not on the kernel command line";
  } else if (fa.injected == 0) {
    why = "no failure was injected";
  } else if (fa.other != 0) {
    why = "calls returned another status (the kernel log names them)";
  }
  if (why != NULL) {
    printf("core-tests: FAIL failalloc.every_injected_call_returned_no_memory: %s\n", why);
    return false;
  }
  printf("core-tests: PASS failalloc.every_injected_call_returned_no_memory\n");
  return true;
}

int main(int argc, char** argv) {
  ct_argc = argc;
  ct_argv = argv;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "failalloc") == 0) {
      failalloc = true;
    }
  }
  printf("core-tests: start %zu\n", test_count + (too_many_tests ? 1 : 0) + (failalloc ? 1 : 0));
  if (failalloc) {
    self_thread = mica_rt_thread_handle(mica_rt_thread_self());
    mica_status_t s = set_failalloc(0);
    if (s != MICA_OK) {
      printf("core-tests: FAIL failalloc.opt_in: MICA_PROP_THREAD_FAIL_ALLOC: %s\n",
             ct_status_name(s));
      printf("core-tests: done passed=0 failed=1\n");
      return 1;
    }
  }
  int passed = 0;
  int failed = 0;
  int tests_injected = 0;
  for (size_t i = 0; i < test_count; i++) {
    current = &tests[i];
    failures_in_current = 0;
    injected = false;
    context = NULL;
    size_t threads_before = failalloc ? thread_count() : 0;
    size_t processes_before = failalloc ? process_count() : 0;
    if (failalloc) {
      (void)set_failalloc(1);
    }
    current->fn();
    size_t left = 0;
    if (failalloc) {
      (void)set_failalloc(0);
      left = tasks_left(threads_before, processes_before);
    }
    if (left != 0) {
      // However it failed, a test must end the threads and processes it
      // started.
      failed++;
      printf("core-tests: FAIL %s.%s: left %zu threads or processes running; first failure: %.*s\n",
             current->suite, current->name, left, CT_LINE_MAX - 120, first_failure);
    } else if (failures_in_current == 0) {
      passed++;
      printf("core-tests: PASS %s.%s\n", current->suite, current->name);
    } else if (injected) {
      passed++;
      tests_injected++;
      printf("core-tests: PASS %s.%s [injected: %.*s]\n", current->suite, current->name,
             CT_LINE_MAX - 96, first_failure);
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
  if (failalloc) {
    if (failalloc_report(tests_injected)) {
      passed++;
    } else {
      failed++;
    }
  }
  printf("core-tests: done passed=%d failed=%d\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
