// bin/syscall-fuzz: random system calls with random arguments, from an
// unprivileged process, to show that no sequence of calls crashes, hangs or
// leaks the kernel (issue 3, "Done means").
//
// The calls and their argument shapes come from the generated table
// <mica/syscall_shapes.h> (system/public/gen_syscalls.py), so every call the
// ABI defines is fuzzed, new ones included. Each argument is drawn by its
// kind: handles from a pool of objects the fuzzer made (and stale, random
// and wrong-type values), pointers into a scratch mapping (and NULL,
// unaligned, unmapped and kernel addresses), sizes and counts at and around
// the limits, deadlines that are past or a few milliseconds away. Buffers
// the kernel reads hold a mix of random words, pool handles and pointers
// into the scratch area, so nested pointers and handle arrays are fuzzed as
// well.
//
// The fuzzer never hands out handles to itself (its process, root VMAR,
// threads, job): only objects it created, including child processes and
// jobs, which the calls may start, kill and map into freely. The calls that
// end the caller (process_exit, thread_exit) are skipped, and so is
// debuglog_write (it would only flood the console).
//
// Each seed runs in a child process (`syscall-fuzz --child <n>`, started
// from the bootfs in a job of its own, holding nothing but what it makes):
// kWorkers threads making kCallsPerWorker calls each against one shared pool
// (so objects are closed and used concurrently on every CPU). The child
// fails if a worker stops making progress (a call that never returns) or a
// call returns something that is not a status code. The parent (parent.c)
// then kills the seed's job, waits until the kernel's reaper has freed every dead
// process and no channel collection is under way (MICA_INFO_KMEM_STATS
// unreaped_processes and collector_busy 0), and checks that the
// kernel's available memory (free + heap free, through the root resource,
// which only the parent holds) is back exactly, to the byte, where it was
// after the first seed.
//
// With the argument `failalloc` (and kernel.failalloc= on the kernel
// command line, docs/testing.md), every worker opts in to allocation fault
// injection (MICA_PROP_THREAD_FAIL_ALLOC) for its random calls; the memory
// check stays exact, and at the end the parent fails the run unless the
// kernel injected failures and every call it injected into returned
// MICA_ERR_NO_MEMORY (MICA_INFO_FAIL_ALLOC), printing
//   syscall-fuzz: failalloc injected=<N> syscalls=<S> no_memory=<M> ok=<K> other=<O>
//
// With `--job-limit`, each seed's job has a kernel memory limit
// (FUZZ_JOB_LIMIT, parent.h) that the child's calls meet: the parent also
// requires the job's own count back to exactly 0 once the child is gone,
// its peak within the limit, and, at the end (`job-limit.met`), that the
// limit refused something (docs/kernel.md "Job memory limits").
//
// Output (the line protocol core-tests uses, docs/testing.md):
//   syscall-fuzz: start <seeds>
//   syscall-fuzz: PASS seed.<n>
//   syscall-fuzz: FAIL seed.<n>: <why>
//   syscall-fuzz: done passed=<p> failed=<f>
// and from each child `syscall-fuzz child seed.<n>: calls=<c> ok=<k> errors=<e>`.
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscall_shapes.h>
#include <mica/syscalls.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/syscall-fuzz/launch_child.h"
#include "system/core/syscall-fuzz/parent.h"

#define MS ((mica_time_t)1000000)

enum {
  kWorkers = 3,
  kCallsPerWorker = 2000,
  kPoolSize = 96,
  kScratchSize = 4u << 20,   // the mapping
  kScratchUsed = 64u << 10,  // where "valid" pointers point
};

static const uint32_t kSkipped[] = {35 /* process_exit */, 38 /* thread_exit */,
                                    31 /* debuglog_write */};

// ---- Random numbers (xorshift64*, per worker) -----------------------------

typedef struct {
  uint64_t s;
} rng_t;

static uint64_t rnd(rng_t* r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 0x2545f4914f6cdd1dull;
}

static uint64_t below(rng_t* r, uint64_t n) {
  return n == 0 ? 0 : rnd(r) % n;
}

// ---- The pool of objects the fuzzer made ----------------------------------

static volatile mica_handle_t g_pool[kPoolSize];
static volatile uint32_t g_pool_type[kPoolSize];  // MICA_OBJ_TYPE_* when added
static uint8_t* g_scratch;
static mica_handle_t g_job;  // a child job: every process the calls make is under it
static bool g_failalloc;     // workers opt in to allocation fault injection

static mica_handle_t pool_pick(rng_t* r) {
  return g_pool[below(r, kPoolSize)];
}

static void pool_add(rng_t* r, mica_handle_t h) {
  if (h == MICA_HANDLE_INVALID) {
    return;
  }
  uint32_t slot = (uint32_t)below(r, kPoolSize);
  mica_info_handle_basic_t basic;
  memset(&basic, 0, sizeof(basic));
  mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), NULL, NULL);
  g_pool_type[slot] = basic.type;
  mica_handle_t old = __atomic_exchange_n(&g_pool[slot], h, __ATOMIC_RELAXED);
  if (old != MICA_HANDLE_INVALID) {
    mica_handle_close(old);  // may already be closed by a fuzzed call: fine
  }
}

// Objects of every kind an unprivileged process can make, so that typed
// arguments often find the right type.
static void pool_seed(rng_t* r) {
  mica_handle_t a = 0, b = 0;
  for (int round = 0; round < 4; round++) {
    if (mica_channel_create(0, &a, &b) == MICA_OK) {
      pool_add(r, a);
      pool_add(r, b);
    }
    if (mica_eventpair_create(0, &a, &b) == MICA_OK) {
      pool_add(r, a);
      pool_add(r, b);
    }
    if (mica_event_create(0, &a) == MICA_OK) {
      pool_add(r, a);
    }
    if (mica_port_create(0, &a) == MICA_OK) {
      pool_add(r, a);
    }
    if (mica_timer_create(0, &a) == MICA_OK) {
      pool_add(r, a);
    }
    if (mica_vmo_create(4096u << round, 0, &a) == MICA_OK) {
      pool_add(r, a);
    }
    if (mica_job_create(g_job, 0, &a) == MICA_OK) {
      pool_add(r, a);
    }
    if (mica_process_create(g_job, "fuzz-child", 10, 0, &a, &b) == MICA_OK) {
      pool_add(r, a);
      pool_add(r, b);
      mica_handle_t t = 0;
      if (mica_thread_create(a, "fuzz-thread", 11, 0, &t) == MICA_OK) {
        pool_add(r, t);
      }
    }
  }
}

// ---- Argument values --------------------------------------------------------

// A pool handle of `type` if one turns up in a few tries.
static mica_handle_t pool_pick_type(rng_t* r, uint32_t type) {
  for (int tries = 0; tries < 8; tries++) {
    uint32_t slot = (uint32_t)below(r, kPoolSize);
    if (g_pool_type[slot] == type && g_pool[slot] != MICA_HANDLE_INVALID) {
      return g_pool[slot];
    }
  }
  return pool_pick(r);
}

static uint64_t any_handle(rng_t* r, uint32_t type) {
  if (type != 0 && below(r, 4) != 0) {
    return pool_pick_type(r, type);
  }
  switch (below(r, 8)) {
    case 0:
      return MICA_HANDLE_INVALID;
    case 1:
      return (uint32_t)rnd(r);  // a guess
    case 2:
      return rnd(r);  // upper bits set (32-bit argument rules)
    default:
      return pool_pick(r);
  }
}

static uint64_t scratch_ptr(rng_t* r) {
  uint64_t off = below(r, kScratchUsed);
  if (below(r, 2) == 0) {
    off &= ~(uint64_t)7;
  }
  return (uint64_t)(uintptr_t)(g_scratch + off);
}

static uint64_t any_ptr(rng_t* r) {
  switch (below(r, 12)) {
    case 0:
      return 0;
    case 1:
      return 0xffffff8000000000ull + (below(r, 1u << 20) << 12);  // kernel half
    case 2:
      return 1 + below(r, 4095);  // the zero page
    case 3:
      return rnd(r);  // anywhere (mostly unmapped or non-canonical)
    case 4:
      return (uint64_t)(uintptr_t)(g_scratch + kScratchSize - below(r, 64));  // runs off the end
    default:
      return scratch_ptr(r);
  }
}

static uint64_t any_size(rng_t* r) {
  static const uint64_t kEdges[] = {0,
                                    1,
                                    2,
                                    3,
                                    4,
                                    7,
                                    8,
                                    16,
                                    63,
                                    64,
                                    65,
                                    255,
                                    256,
                                    4095,
                                    4096,
                                    4097,
                                    65535,
                                    65536,
                                    65537,
                                    1u << 20,
                                    1u << 30,
                                    ~0ull,
                                    ~0u,
                                    1ull << 32,
                                    (1ull << 63) + 1,
                                    0x7fffffffffffffffull};
  switch (below(r, 4)) {
    case 0:
      return kEdges[below(r, sizeof(kEdges) / sizeof(kEdges[0]))];
    case 1:
      return rnd(r);
    default:
      return below(r, 300);
  }
}

static uint64_t any_scalar32(rng_t* r) {
  switch (below(r, 8)) {
    case 0:
    case 6:
    case 7:
      return 0;  // most options must be 0
    case 1:
      return 1u << below(r, 32);
    case 2:
      return rnd(r);  // upper bits set: must be refused
    case 3:
      return ~0u;
    default:
      return (uint32_t)rnd(r) & (below(r, 2) ? 0xffu : 0xffffffffu);
  }
}

static uint64_t any_deadline(rng_t* r) {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  switch (below(r, 5)) {
    case 0:
      return 0;
    case 1:
      return (uint64_t)MICA_TIME_INFINITE_PAST;
    case 2:
      return (uint64_t)(now - (mica_time_t)below(r, 1000 * MS));
    default:
      return (uint64_t)(now + (mica_time_t)below(r, 3 * MS));  // never infinite
  }
}

// Fills what the kernel may read with a mix of values the calls interpret:
// handles, pointers, sizes, random words.
static void fill_scratch(rng_t* r, uint8_t* at, size_t bytes) {
  uint64_t* w = (uint64_t*)at;
  for (size_t i = 0; i < bytes / 8; i++) {
    switch (below(r, 6)) {
      case 0:
        w[i] = pool_pick(r) | ((uint64_t)pool_pick(r) << 32);
        break;
      case 1:
        w[i] = scratch_ptr(r);
        break;
      case 2:
        w[i] = any_size(r);
        break;
      default:
        w[i] = rnd(r);
        break;
    }
  }
}

// ---- One call ---------------------------------------------------------------

static bool skipped(uint32_t number) {
  for (size_t i = 0; i < sizeof(kSkipped) / sizeof(kSkipped[0]); i++) {
    if (kSkipped[i] == number) {
      return true;
    }
  }
  return false;
}

static int64_t raw_syscall(uint64_t number, const uint64_t a[8]) {
  register uint64_t x0 __asm__("x0") = a[0];
  register uint64_t x1 __asm__("x1") = a[1];
  register uint64_t x2 __asm__("x2") = a[2];
  register uint64_t x3 __asm__("x3") = a[3];
  register uint64_t x4 __asm__("x4") = a[4];
  register uint64_t x5 __asm__("x5") = a[5];
  register uint64_t x6 __asm__("x6") = a[6];
  register uint64_t x7 __asm__("x7") = a[7];
  register uint64_t x8 __asm__("x8") = number;
  __asm__ volatile("svc #0"
                   : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7),
                     "+r"(x8)
                   :
                   : "x16", "x17", "memory");
  return (int64_t)x0;
}

typedef struct {
  uint32_t index;
  uint64_t seed;
  uint32_t calls;
  uint32_t ok;
  uint32_t errors;
  uint32_t unknown_status;  // a result that is neither MICA_OK nor an error code
  uint32_t last_number;
  volatile uint32_t progress;
} worker_t;

static void one_call(worker_t* w, rng_t* r) {
  const size_t n_shapes = sizeof(kMicaSyscallShapes) / sizeof(kMicaSyscallShapes[0]);
  const mica_syscall_shape_t* sh = &kMicaSyscallShapes[below(r, n_shapes)];
  if (skipped(sh->number)) {
    return;
  }
  // Each worker owns a 4 KiB slice of the scratch area's start for the
  // handles the kernel writes out, so they can be collected afterwards.
  mica_handle_t* outs = (mica_handle_t*)(g_scratch + kScratchUsed + w->index * 4096);
  for (int i = 0; i < 8; i++) {
    outs[i] = MICA_HANDLE_INVALID;
  }
  uint64_t a[8] = {0};
  for (int i = 0; i < sh->num_args; i++) {
    switch (sh->kind[i]) {
      case MICA_ARG_SCALAR32:
        a[i] = any_scalar32(r);
        break;
      case MICA_ARG_SCALAR64:
        a[i] = below(r, 2) ? any_size(r) : scratch_ptr(r);
        break;
      case MICA_ARG_SIZE:
        a[i] = any_size(r);
        break;
      case MICA_ARG_TIME:
        a[i] = any_deadline(r);
        break;
      case MICA_ARG_DURATION:
        a[i] = below(r, 3) ? below(r, 2 * MS) : rnd(r);
        break;
      case MICA_ARG_HANDLE:
        a[i] = any_handle(r, sh->obj_type[i]);
        break;
      case MICA_ARG_IN_PTR:
      case MICA_ARG_OUT_PTR:
      case MICA_ARG_HANDLE_ARRAY:
        a[i] = any_ptr(r);
        if (a[i] >= (uint64_t)(uintptr_t)g_scratch &&
            a[i] < (uint64_t)(uintptr_t)(g_scratch + kScratchUsed)) {
          uint64_t at = (a[i] - (uint64_t)(uintptr_t)g_scratch) & ~(uint64_t)7;
          size_t len = kScratchUsed - at < 512 ? kScratchUsed - at : 512;
          fill_scratch(r, g_scratch + at, len);
        }
        break;
      case MICA_ARG_OUT_HANDLE:
        a[i] = below(r, 8) == 0 ? any_ptr(r) : (uint64_t)(uintptr_t)&outs[i];
        break;
    }
  }
  w->last_number = sh->number;
  int64_t s = raw_syscall(sh->number, a);
  w->calls++;
  if (s == MICA_OK) {
    w->ok++;
  } else if (s < 0 && s > -100) {
    w->errors++;
  } else if (s != MICA_OK) {
    w->unknown_status++;
  }
  // Keep what the call made (on success the out slots hold new handles; on
  // failure they must not, which the handle-count check at the end sees).
  for (int i = 0; i < 8; i++) {
    if (outs[i] != MICA_HANDLE_INVALID) {
      pool_add(r, outs[i]);
    }
  }
  // Now and then replace a pool entry with a fresh object, so the pool does
  // not end up full of dead values.
  if (below(r, 64) == 0) {
    pool_seed(r);
  }
}

static int run_worker(void* p) {
  worker_t* w = p;
  rng_t r = {w->seed};
  if (g_failalloc) {
    uint32_t on = 1;
    mica_status_t s = mica_object_set_property(mica_rt_thread_handle(mica_rt_thread_self()),
                                               MICA_PROP_THREAD_FAIL_ALLOC, &on, sizeof(on));
    if (s != MICA_OK) {
      printf("syscall-fuzz child: MICA_PROP_THREAD_FAIL_ALLOC: %d\n", s);
      w->unknown_status++;  // fails the seed
      return 0;
    }
  }
  for (uint32_t i = 0; i < kCallsPerWorker; i++) {
    one_call(w, &r);
    w->progress = i + 1;
  }
  return 0;
}

// ---- The child: one seed -----------------------------------------------------

// Runs seed `n` in this (child) process: kWorkers threads making random
// calls. Returns 0, or 1 with a reason printed, if a worker stopped making
// progress or a call returned something that is not a status code.
static int run_child(uint32_t n) {
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  mica_vaddr_t addr = 0;
  if (mica_vmo_create(kScratchSize, 0, &vmo) != MICA_OK ||
      mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0,
                    kScratchSize, &addr) != MICA_OK) {
    printf("syscall-fuzz child seed.%u: cannot map the scratch area\n", n);
    return 1;
  }
  mica_handle_close(vmo);
  g_scratch = (uint8_t*)(uintptr_t)addr;
  rng_t r = {0x9e3779b97f4a7c15ull * (n + 1)};
  // The processes and jobs the calls make go under a job of the child's
  // own, inside the job the parent made for this seed.
  if (mica_job_create(mica_rt_job_default(), 0, &g_job) != MICA_OK) {
    printf("syscall-fuzz child seed.%u: job_create failed\n", n);
    return 1;
  }
  pool_seed(&r);
  static worker_t workers[kWorkers];
  mica_rt_thread_t* threads[kWorkers];
  for (uint32_t i = 0; i < kWorkers; i++) {
    memset(&workers[i], 0, sizeof(workers[i]));
    workers[i].index = i;
    workers[i].seed = rnd(&r) | 1;
    if (mica_rt_thread_create(&threads[i], run_worker, &workers[i], "fuzz-worker", 0) != MICA_OK) {
      printf("syscall-fuzz child seed.%u: thread_create failed\n", n);
      return 1;
    }
  }
  // A worker that stops making progress means a call that should have
  // returned (every deadline is at most 3 ms away) did not: the kernel hung.
  for (uint32_t i = 0; i < kWorkers; i++) {
    uint32_t last = UINT32_MAX;
    for (;;) {
      mica_time_t now = 0;
      mica_clock_get_monotonic(&now);
      mica_status_t s = mica_object_wait_one(mica_rt_thread_handle(threads[i]),
                                             MICA_THREAD_TERMINATED, now + 5000 * MS, NULL);
      if (s == MICA_OK) {
        break;
      }
      if (workers[i].progress == last) {
        printf("syscall-fuzz child seed.%u: worker %u stuck after %u calls, in syscall %u\n", n, i,
               last, workers[i].last_number);
        return 1;
      }
      last = workers[i].progress;
    }
    mica_rt_thread_join(threads[i], NULL);
  }
  uint32_t calls = 0, ok = 0, errors = 0, odd = 0;
  for (uint32_t i = 0; i < kWorkers; i++) {
    calls += workers[i].calls;
    ok += workers[i].ok;
    errors += workers[i].errors;
    odd += workers[i].unknown_status;
  }
  printf("syscall-fuzz child seed.%u: calls=%u ok=%u errors=%u\n", n, calls, ok, errors);
  if (odd != 0) {
    printf("syscall-fuzz child seed.%u: %u calls returned a status that is not a status code\n", n,
           odd);
    return 1;
  }
  return 0;
}

// ---- main --------------------------------------------------------------------

// After the seeds under fault injection: what the kernel did (parent.h).
bool fuzz_failalloc_check(char* why, size_t why_size) {
  mica_info_fail_alloc_t fa;
  memset(&fa, 0, sizeof(fa));
  mica_status_t s = mica_object_get_info(mica_rt_root_resource(), MICA_INFO_FAIL_ALLOC, &fa,
                                         sizeof(fa), NULL, NULL);
  printf("syscall-fuzz: failalloc injected=%llu syscalls=%llu no_memory=%llu ok=%llu other=%llu\n",
         (unsigned long long)fa.injected, (unsigned long long)fa.syscalls,
         (unsigned long long)fa.no_memory, (unsigned long long)fa.ok, (unsigned long long)fa.other);
  if (s != MICA_OK || fa.mode == MICA_FAIL_ALLOC_OFF) {
    snprintf(why, why_size, "kernel.failalloc= is not on the kernel command line");
    return false;
  }
  if (fa.injected == 0) {
    snprintf(why, why_size, "no failure was injected");
    return false;
  }
  if (fa.other != 0) {
    snprintf(why, why_size, "%llu calls returned another status (the kernel log names them)",
             (unsigned long long)fa.other);
    return false;
  }
  return true;
}

int main(int argc, char** argv) {
  g_failalloc = argc >= 2 && strcmp(argv[argc - 1], "failalloc") == 0;
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    return run_child((uint32_t)strtoul(argv[2], NULL, 10));
  }
  if (argc == 2 && strcmp(argv[1], "--leak-demo") == 0) {
    return fuzz_leak_demo(argv[0]);
  }
  if (argc == 2 && strcmp(argv[1], "--job-limit") == 0) {
    return fuzz_run_seeds(argv[0], false, FUZZ_JOB_LIMIT);
  }
  return fuzz_run_seeds(argv[0], g_failalloc, 0);
}
