// The parent side of bin/syscall-fuzz (syscall_fuzz.c describes the
// program): each seed in a child process in a job of its own, and the
// kernel's available memory required back exactly between seeds.
#include "system/core/syscall-fuzz/parent.h"

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/syscall-fuzz/launch_child.h"

#define MS ((mica_time_t)1000000)

// Memory the kernel can still hand out: free pages plus free heap (so that
// heap slabs kept for reuse count as available), read once the kernel's
// reaper has freed every dead process (unreaped_processes 0: nothing of
// theirs is still held) and its channel collector is not running or due
// (collector_busy 0). `*k` gets the whole breakdown (to say where memory
// went). False with a reason if the stats cannot be read or the kernel is
// still freeing after 20 s.
static bool settled_kernel_memory(uint64_t* out, mica_info_kmem_stats_t* k, char* why,
                                  size_t why_size) {
  for (int tries = 0; tries < 20000; tries++) {
    if (mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, k, sizeof(*k), NULL,
                             NULL) != MICA_OK) {
      snprintf(why, why_size, "cannot read MICA_INFO_KMEM_STATS");
      return false;
    }
    if (k->unreaped_processes == 0 && k->collector_busy == 0) {
      *out = k->free_bytes + k->heap_free_bytes;
      return true;
    }
    mica_time_t now = 0;
    mica_clock_get_monotonic(&now);
    mica_nanosleep(now + MS);
  }
  snprintf(why, why_size,
           "after 20 s the reaper still had %llu dead processes to free (collector busy: %llu)",
           (unsigned long long)k->unreaped_processes, (unsigned long long)k->collector_busy);
  return false;
}

// Runs seed `n` in a child process in a job of its own, waits for it, ends
// the job (everything the child made), and checks that the kernel's
// available memory is back exactly (to the byte) at `*baseline`, which the
// first seed sets (it also warms the kernel's caches and this process's
// handle table).
//
// With `job_limit` (syscall-fuzz --job-limit), the job has that kernel
// memory limit (docs/kernel.md "Job memory limits"): the child's calls
// meet it, and besides the kernel's memory the job's own count must come
// back to exactly 0 once the child is gone, never having passed the limit.
// A page fault the job cannot pay for kills the child; that end is accepted
// when the job's limit did refuse something. *refused adds what it refused.
static bool run_seed(const char* self, uint32_t n, bool failalloc, uint64_t job_limit,
                     uint64_t* refused, uint64_t* baseline, int64_t* diff, char* why,
                     size_t why_size) {
  *diff = 0;
  mica_handle_t job = MICA_HANDLE_INVALID, child = MICA_HANDLE_INVALID;
  if (mica_job_create(mica_rt_job_default(), 0, &job) != MICA_OK) {
    snprintf(why, why_size, "job_create failed");
    return false;
  }
  if (job_limit != 0 && mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &job_limit,
                                                 sizeof(job_limit)) != MICA_OK) {
    snprintf(why, why_size, "cannot set the job's memory limit");
    mica_handle_close(job);
    return false;
  }
  if (!fuzz_launch_child(self, n, failalloc, job, &child, why, why_size)) {
    mica_handle_close(job);
    return false;
  }
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  mica_status_t s = mica_object_wait_one(child, MICA_PROCESS_TERMINATED, now + 120000 * MS, NULL);
  mica_info_process_t info;
  memset(&info, 0, sizeof(info));
  mica_object_get_info(child, MICA_INFO_PROCESS, &info, sizeof(info), NULL, NULL);
  mica_task_kill(job);
  mica_object_wait_one(job, MICA_JOB_TERMINATED, 0, NULL);
  mica_handle_close(child);
  mica_info_job_memory_t jm;
  memset(&jm, 0, sizeof(jm));
  if (job_limit != 0) {
    // The child is freed by the reaper: its count settles a little later.
    for (int tries = 0; tries < 20000; tries++) {
      mica_object_get_info(job, MICA_INFO_JOB_MEMORY, &jm, sizeof(jm), NULL, NULL);
      if (jm.used == 0) {
        break;
      }
      mica_time_t t = 0;
      mica_clock_get_monotonic(&t);
      mica_nanosleep(t + MS);
    }
    *refused += jm.failures;
  }
  mica_handle_close(job);
  if (s != MICA_OK) {
    snprintf(why, why_size, "the child did not end within 120 s (status %d)", s);
    return false;
  }
  if (job_limit != 0 && (jm.used != 0 || jm.peak > job_limit)) {
    snprintf(why, why_size,
             "the job's memory count: %llu bytes left once its child was gone, peak %llu "
             "(limit %llu)",
             (unsigned long long)jm.used, (unsigned long long)jm.peak,
             (unsigned long long)job_limit);
    return false;
  }
  bool limit_fault = job_limit != 0 && jm.failures != 0 &&
                     (info.flags & MICA_INFO_PROCESS_FLAG_FAULTED) != 0 &&
                     info.return_code == MICA_TASK_RETCODE_FAULT;
  if (info.return_code != 0 && !limit_fault) {
    snprintf(why, why_size, "the child ended with status %lld (flags 0x%x)",
             (long long)info.return_code, info.flags);
    return false;
  }
  static mica_info_kmem_stats_t base_stats;
  mica_info_kmem_stats_t now_stats;
  uint64_t avail = 0;
  if (!settled_kernel_memory(&avail, &now_stats, why, why_size)) {
    return false;
  }
  if (*baseline == 0) {
    *baseline = avail;
    base_stats = now_stats;
  } else if (avail != *baseline) {
    *diff = (int64_t)(avail - *baseline);
    snprintf(why, why_size,
             "kernel memory not back exactly: %llu bytes available, %llu after seed 0 (%+lld; "
             "heap in use %+lld bytes, pages outside the heap (VMO pages, page tables, kernel "
             "stacks) %+lld bytes)",
             (unsigned long long)avail, (unsigned long long)*baseline,
             (long long)(avail - *baseline),
             (long long)(now_stats.heap_bytes - base_stats.heap_bytes),
             (long long)(now_stats.other_bytes - base_stats.other_bytes));
    return false;
  }
  return true;
}

// `syscall-fuzz --leak-demo`: shows the leak check sees a leak of one
// small kernel object. Seeds 0 and 1 run as usual; then this process makes
// an event and keeps it, as if seed 2 had leaked it (its kernel cost, a few
// hundred bytes, measured as the drop in available memory once the reaper
// is idle); seed 2's check must then fail, by exactly that cost. One result
// line, `leak-detected`.
int fuzz_leak_demo(const char* self) {
  char why[320] = "";
  printf("syscall-fuzz: start 1\n");
  uint64_t baseline = 0;
  int64_t diff = 0;
  bool ok = fuzz_open_bootfs(why, sizeof(why)) &&
            run_seed(self, 0, false, 0, NULL, &baseline, &diff, why, sizeof(why)) &&
            run_seed(self, 1, false, 0, NULL, &baseline, &diff, why, sizeof(why));
  uint64_t before = 0, after = 0;
  mica_info_kmem_stats_t k;
  mica_handle_t leaked = MICA_HANDLE_INVALID;
  ok = ok && settled_kernel_memory(&before, &k, why, sizeof(why)) &&
       mica_event_create(0, &leaked) == MICA_OK &&
       settled_kernel_memory(&after, &k, why, sizeof(why));
  int64_t cost = (int64_t)(before - after);
  if (ok && cost <= 0) {
    snprintf(why, sizeof(why), "an event cost %lld bytes", (long long)cost);
    ok = false;
  }
  if (ok && run_seed(self, 2, false, 0, NULL, &baseline, &diff, why, sizeof(why))) {
    snprintf(why, sizeof(why), "seed 2 passed with a %lld-byte leak", (long long)cost);
    ok = false;
  } else if (ok && diff != -cost) {
    snprintf(why, sizeof(why), "seed 2 failed by %lld bytes, not the leak's %lld: %s",
             (long long)diff, (long long)-cost, why);
    ok = false;
  }
  if (ok) {
    printf("syscall-fuzz: leak of %lld bytes seen: %s\n", (long long)cost, why);
    printf("syscall-fuzz: PASS leak-detected\n");
  } else {
    printf("syscall-fuzz: FAIL leak-detected: %s\n", why);
  }
  printf("syscall-fuzz: done passed=%d failed=%d\n", ok ? 1 : 0, ok ? 0 : 1);
  return ok ? 0 : 1;
}

int fuzz_run_seeds(const char* self, bool failalloc, uint64_t job_limit) {
  char why[320] = "";
  printf("syscall-fuzz: start %u\n", FUZZ_SEEDS + (failalloc ? 1 : 0) + (job_limit != 0 ? 1 : 0));
  if (!fuzz_open_bootfs(why, sizeof(why))) {
    printf("syscall-fuzz: %s\n", why);
    return 1;
  }
  uint64_t baseline = 0, refused = 0;
  uint32_t passed = 0, failed = 0;
  for (uint32_t n = 0; n < FUZZ_SEEDS; n++) {
    int64_t diff = 0;
    if (run_seed(self, n, failalloc, job_limit, &refused, &baseline, &diff, why, sizeof(why))) {
      passed++;
      printf("syscall-fuzz: PASS seed.%u\n", n);
    } else {
      failed++;
      printf("syscall-fuzz: FAIL seed.%u: %s\n", n, why);
    }
  }
  if (failalloc) {
    if (fuzz_failalloc_check(why, sizeof(why))) {
      passed++;
      printf("syscall-fuzz: PASS failalloc.every_injected_call_returned_no_memory\n");
    } else {
      failed++;
      printf("syscall-fuzz: FAIL failalloc.every_injected_call_returned_no_memory: %s\n", why);
    }
  }
  if (job_limit != 0) {
    // The limit must have been met, or the seeds proved nothing about it.
    if (refused != 0) {
      passed++;
      printf("syscall-fuzz: PASS job-limit.met (%llu allocations refused in all)\n",
             (unsigned long long)refused);
    } else {
      failed++;
      printf("syscall-fuzz: FAIL job-limit.met: no seed's job reached its limit of %llu bytes\n",
             (unsigned long long)job_limit);
    }
  }
  printf("syscall-fuzz: done passed=%u failed=%u\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
