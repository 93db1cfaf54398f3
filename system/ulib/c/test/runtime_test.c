// runtime-test: an in-target test of the C runtime (system/ulib/c). Boot
// with `userboot.next=bin/runtime-test`; it prints one line per case,
//   runtime-test: <case>: ok | FAILED (<why>) | skipped (<why>)
// then `runtime-test: N passed, N failed, N skipped`, and exits with the
// number of failures. A case is skipped only when a syscall it needs returns
// MICA_ERR_BAD_SYSCALL or MICA_ERR_NOT_SUPPORTED (the kernel does not have
// it yet) or the process was started without the handle it needs.

#include <errno.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "system/ulib/c/test/runtime_test.h"

static int passed;
static int failed;
static int skipped;

void rt_report(const char* name, enum rt_result result, const char* why) {
  switch (result) {
    case RT_OK:
      passed++;
      printf("runtime-test: %s: ok\n", name);
      break;
    case RT_FAILED:
      failed++;
      printf("runtime-test: %s: FAILED (%s)\n", name, why);
      break;
    case RT_SKIPPED:
      skipped++;
      printf("runtime-test: %s: skipped (%s)\n", name, why);
      break;
  }
}

static int kernel_lacks(mica_status_t s) {
  return s == MICA_ERR_BAD_SYSCALL || s == MICA_ERR_NOT_SUPPORTED;
}

// ---- Constructors and TLS ---------------------------------------------------

static int constructor_ran;
__attribute__((constructor)) static void set_constructor_ran(void) {
  constructor_ran = 1;
}

static _Thread_local int tls_initialised = 0x5eed;  // .tdata
static _Thread_local int tls_zero[16];              // .tbss
static _Thread_local alignas(64) char tls_aligned[8];

static const char* check_tls(void) {
  if (tls_initialised != 0x5eed) {
    return ".tdata value wrong";
  }
  for (int i = 0; i < 16; ++i) {
    if (tls_zero[i] != 0) {
      return ".tbss not zero";
    }
  }
  // Hide the address from the optimiser, which would otherwise assume the
  // declared alignment and fold the check away.
  uintptr_t aligned = (uintptr_t)tls_aligned;
  __asm__("" : "+r"(aligned));
  if ((aligned & 63) != 0) {
    return "64-byte aligned thread_local misaligned";
  }
  tls_aligned[0] = 1;
  if (mica_rt_thread_self() == NULL) {
    return "no thread self pointer";
  }
  tls_initialised++;
  tls_zero[3] = 7;
  return NULL;
}

static void test_startup(void) {
  rt_report("constructor", constructor_ran ? RT_OK : RT_FAILED, "constructor did not run");
  rt_report("cxx-static-constructor", rt_cxx_static_ok() ? RT_OK : RT_FAILED,
            "C++ static object not constructed");
  const char* why = check_tls();
  rt_report("tls-main", why == NULL ? RT_OK : RT_FAILED, why);
  uintptr_t base = mica_rt_load_base();
  rt_report("load-base", base != 0 && (base & 4095) == 0 ? RT_OK : RT_FAILED,
            "x1 at entry is not a page-aligned load base");
}

// ---- stdio and malloc --------------------------------------------------------

static void test_stdio(void) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%d %s %x %5.2f", -42, "str", 0xbeefu, 3.14159);
  rt_report("snprintf", strcmp(buf, "-42 str beef  3.14") == 0 ? RT_OK : RT_FAILED, buf);
  rt_report("stdin-eof", getchar() == EOF && feof(stdin) ? RT_OK : RT_FAILED,
            "stdin is not at end of file");
}

static void test_malloc(void) {
  enum { kCount = 64 };
  void* blocks[kCount];
  const char* why = NULL;
  for (int round = 0; round < 4 && why == NULL; ++round) {
    for (int i = 0; i < kCount; ++i) {
      size_t size = (size_t)(i * 97 + round * 13) % 4096 + 1;
      blocks[i] = malloc(size);
      if (blocks[i] == NULL) {
        why = "malloc returned NULL";
        break;
      }
      memset(blocks[i], i, size);
    }
    for (int i = 0; i < kCount && blocks[i] != NULL; ++i) {
      if (((unsigned char*)blocks[i])[0] != (unsigned char)i) {
        why = "block contents overwritten";
      }
      free(blocks[i]);
    }
  }
  void* big = why == NULL ? malloc(256 * 1024) : NULL;
  if (why == NULL && big == NULL) {
    why = "256 KiB allocation failed";
  }
  free(big);
  void* aligned = why == NULL ? aligned_alloc(256, 512) : NULL;
  if (why == NULL && (aligned == NULL || ((uintptr_t)aligned & 255) != 0)) {
    why = "aligned_alloc(256) misaligned";
  }
  free(aligned);
  rt_report("malloc", why == NULL ? RT_OK : RT_FAILED, why);
  rt_report("cxx-new-delete", rt_cxx_new_delete_ok() ? RT_OK : RT_FAILED, "new/delete failed");
}

// ---- memcpy, memmove, memset (system/ulib/c/string.S) ------------------------

// Every length 0..80 (and a few larger ones) at every pair of offsets 0..15
// in buffers with guard bytes around them, against byte-by-byte references
// written through volatile pointers (so the compiler cannot turn them into
// calls of the routines under test).
enum { kStrBuf = 4096 + 64 };
static unsigned char str_src[kStrBuf], str_dst[kStrBuf], str_want[kStrBuf];

static void str_fill(unsigned char* p, size_t n, unsigned seed) {
  volatile unsigned char* v = p;
  for (size_t i = 0; i < n; i++) {
    v[i] = (unsigned char)(i * 131 + seed * 7 + 1);
  }
}

static int str_same(const unsigned char* a, const unsigned char* b, size_t n) {
  const volatile unsigned char* x = a;
  const volatile unsigned char* y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) {
      return 0;
    }
  }
  return 1;
}

// Checks one length at one pair of offsets (both < 56): only the first
// len + 64 bytes of the buffers are used, the rest of them is the guard.
static const char* check_copy_set(size_t len, size_t doff, size_t soff) {
  volatile size_t n = len;  // a real call, whatever the length
  size_t used = len + 64;
  str_fill(str_src, used, 1);
  str_fill(str_dst, used, 2);
  str_fill(str_want, used, 2);
  volatile unsigned char* w = str_want;
  for (size_t i = 0; i < len; i++) {
    w[doff + i] = str_src[soff + i];
  }
  if (memcpy(str_dst + doff, str_src + soff, n) != str_dst + doff ||
      !str_same(str_dst, str_want, used)) {
    return "memcpy";
  }
  str_fill(str_dst, used, 2);
  str_fill(str_want, used, 2);
  for (size_t i = 0; i < len; i++) {
    w[doff + i] = 0xa5;
  }
  if (memset(str_dst + doff, 0x1a5, n) != str_dst + doff || !str_same(str_dst, str_want, used)) {
    return "memset";
  }
  // memmove within one buffer, both directions (the ranges overlap when
  // the offsets are close).
  for (int dir = 0; dir < 2; dir++) {
    size_t from = dir ? doff : soff, to = dir ? soff : doff;
    str_fill(str_dst, used, 3);
    str_fill(str_want, used, 3);
    for (size_t i = 0; i < len; i++) {
      w[to + i] = (unsigned char)((from + i) * 131 + 3 * 7 + 1);  // str_fill's byte
    }
    if (memmove(str_dst + to, str_dst + from, n) != str_dst + to ||
        !str_same(str_dst, str_want, used)) {
      return "memmove";
    }
  }
  return NULL;
}

static void test_string(void) {
  const char* why = NULL;
  for (size_t len = 0; len <= 80 && why == NULL; len++) {
    for (size_t d = 0; d < 16 && why == NULL; d++) {
      for (size_t s = 0; s < 16 && why == NULL; s++) {
        why = check_copy_set(len, d + 8, s + 8);
      }
    }
  }
  static const size_t big[] = {127, 128, 129, 255, 256, 257, 511, 512, 1000};
  for (size_t i = 0; i < sizeof(big) / sizeof(big[0]) && why == NULL; i++) {
    for (size_t d = 0; d < 9 && why == NULL; d++) {
      why = check_copy_set(big[i], 32 + d, 40);
      if (why == NULL) {
        why = check_copy_set(big[i], 40, 32 + d);
      }
    }
  }
  // A page-sized aligned copy and a fill (the bulk loops).
  if (why == NULL) {
    volatile size_t n = 4096;
    str_fill(str_src, kStrBuf, 4);
    memcpy(str_dst, str_src, n);
    why = str_same(str_dst, str_src, 4096) ? NULL : "memcpy 4096";
    memset(str_dst, 0, n);
    for (size_t i = 0; i < 4096 && why == NULL; i++) {
      why = ((volatile unsigned char*)str_dst)[i] == 0 ? NULL : "memset 4096";
    }
  }
  rt_report("memcpy-memmove-memset", why == NULL ? RT_OK : RT_FAILED, why);
}

// ---- Time -------------------------------------------------------------------

static void test_time(void) {
  mica_time_t probe;
  mica_status_t s = mica_clock_get_monotonic(&probe);
  if (kernel_lacks(s)) {
    rt_report("clock-monotonic", RT_SKIPPED, "needs clock_get_monotonic");
    rt_report("nanosleep", RT_SKIPPED, "needs clock_get_monotonic and nanosleep");
    return;
  }
  struct timespec a, b;
  int ra = clock_gettime(CLOCK_MONOTONIC, &a);
  int rb = clock_gettime(CLOCK_MONOTONIC, &b);
  int ordered = a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
  rt_report("clock-monotonic", ra == 0 && rb == 0 && ordered ? RT_OK : RT_FAILED,
            "clock_gettime failed or went backwards");
  struct timespec req = {.tv_sec = 0, .tv_nsec = 2000000};
  clock_gettime(CLOCK_MONOTONIC, &a);
  int r = nanosleep(&req, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  int64_t slept = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
  if (r != 0 && errno == ENOSYS) {
    rt_report("nanosleep", RT_SKIPPED, "needs nanosleep");
  } else {
    rt_report("nanosleep", r == 0 && slept >= 2000000 ? RT_OK : RT_FAILED, "slept less than asked");
  }
}

// ---- Threads ----------------------------------------------------------------

enum { kThreads = 4, kIncrements = 20000 };
static mica_rt_mutex_t counter_lock = MICA_RT_MUTEX_INIT;
static long counter;

static int worker(void* arg) {
  // Each thread has its own, freshly initialised TLS block.
  if (check_tls() != NULL) {
    return -1;
  }
  errno = (int)(intptr_t)arg;
  for (int i = 0; i < kIncrements; ++i) {
    mica_rt_mutex_lock(&counter_lock);
    counter++;
    mica_rt_mutex_unlock(&counter_lock);
  }
  return errno == (int)(intptr_t)arg ? (int)(intptr_t)arg : -2;
}

static void test_threads(void) {
  if (mica_rt_process_self() == MICA_HANDLE_INVALID) {
    rt_report("threads", RT_SKIPPED, "started without a process handle");
    return;
  }
  mica_rt_thread_t* threads[kThreads];
  int created = 0;
  mica_status_t s = MICA_OK;
  for (; created < kThreads; ++created) {
    s = mica_rt_thread_create(&threads[created], worker, (void*)(intptr_t)(100 + created),
                              "rt-worker", 0);
    if (s != MICA_OK) {
      break;
    }
  }
  const char* why = NULL;
  for (int i = 0; i < created; ++i) {
    int result = 0;
    if (mica_rt_thread_join(threads[i], &result) != MICA_OK || result != 100 + i) {
      why = "a thread's TLS, errno or result was wrong";
    }
  }
  if (created < kThreads) {
    rt_report("threads", kernel_lacks(s) ? RT_SKIPPED : RT_FAILED, "mica_rt_thread_create failed");
    return;
  }
  if (why == NULL && counter != (long)kThreads * kIncrements) {
    why = "mutex lost increments";
  }
  rt_report("threads", why == NULL ? RT_OK : RT_FAILED, why);
}

int main(int argc, char** argv) {
  rt_report("argv", argc >= 1 && argv[0] != NULL && argv[argc] == NULL ? RT_OK : RT_FAILED,
            "argv malformed");
  for (int i = 0; i < argc; i++) {
    printf("runtime-test: argv[%d] = \"%s\"\n", i, argv[i]);
  }
  test_startup();
  test_stdio();
  test_string();
  test_malloc();
  test_time();
  test_threads();
  printf("runtime-test: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed;
}
