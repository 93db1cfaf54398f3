// The `job-limit` scenario: kernel memory limits per job (docs/kernel.md
// "Job memory limits"), tried from inside a limited job.
//
// The scenario child makes a job with a limit of kLimit bytes and starts
// `adversary --limited <mode>` in it:
//   calls  - commits VMO pages until NO_MEMORY, then runs every creating
//            call (exhaust.c's) until it fails, each with NO_MEMORY, and
//            calls that write to a mapped page not yet committed (also
//            NO_MEMORY: the page cannot be paid for); tries
//            to raise its own job's limit (ACCESS_DENIED: a job may lower
//            its limit, never raise it); says so over its channel and waits
//            while the scenario child shows that every other job carries
//            on (objects and pages of its own, a process in a sibling job
//            with the same limit); then gives everything back and makes
//            objects again.
//   faults - touches the pages of a mapping bigger than its limit: the
//            fault that finds the job at its limit kills the process (a
//            fault has no status to return), nothing else.
// Each time the job's count must stay within the limit, count the refusals,
// and come back to exactly 0 once the process is gone; the parent then
// requires the kernel's memory back to the byte, as for every scenario.
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"
#include "system/core/adversary/launch_child.h"

enum {
  kLimit = 6 << 20,
  kMaxVmos = 2048,
  kSource = 64 << 10,
};

static uint8_t g_source[kSource];
static mica_handle_t g_vmos[kMaxVmos];
static uint32_t g_vmo_count;

// The two sides signal each other with MICA_SIGNAL_USER0 on the channel's
// far end: a message would be memory, and the limited side has none left.
static bool poke(mica_handle_t ctl) {
  return mica_object_signal_peer(ctl, 0, MICA_SIGNAL_USER0) == MICA_OK;
}

// Waits (until `deadline`) to be poked; false if not, or if the other side
// went away.
static bool poked(mica_handle_t ctl, mica_time_t deadline) {
  mica_signals_t seen = 0;
  mica_object_wait_one(ctl, MICA_SIGNAL_USER0 | MICA_CHANNEL_PEER_CLOSED, deadline, &seen);
  return (seen & MICA_SIGNAL_USER0) != 0;
}

// ---- Inside the limited job ---------------------------------------------------

// Commits `size`-byte VMOs with vmo_write until a call fails; returns that
// status.
static mica_status_t commit_until_refused(uint64_t size) {
  return adv_commit_vmos(size, g_vmos, &g_vmo_count, kMaxVmos, g_source, kSource);
}

// Deep enough for everything run at the limit (printf included): a page
// fault there could not be served.
static void touch_stack(void) {
  volatile uint8_t pad[48 * 1024];
  for (size_t i = 0; i < sizeof(pad); i += 512) {
    pad[i] = 0;
  }
}

// The program image (system/ulib/c/user.ld): at the limit, the first touch
// of a page of it (a read of a new bss page needs a page, a new region of
// text a page table) would kill the process, so all of it is touched first.
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern char __relro_end[] __attribute__((visibility("hidden")));
extern char _end[] __attribute__((visibility("hidden")));

static void touch_image(void) {
  for (const volatile char* p = __ehdr_start; p < __relro_end; p += MICA_PAGE_SIZE) {
    (void)*p;
  }
  for (volatile char* p = __relro_end; p < _end; p += MICA_PAGE_SIZE) {
    *p = *p;
  }
  (void)*(volatile char*)(_end - 1);
}

static int own_limit_checks(void) {
  mica_handle_t job = mica_rt_job_default();
  uint64_t limit = 0;
  mica_status_t s =
      mica_object_get_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit));
  if (s != MICA_OK || limit != kLimit) {
    return adv_fail("own job's limit: status %d, %llu bytes, not %u", s, (unsigned long long)limit,
                    kLimit);
  }
  uint64_t more = limit + 1;
  s = mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &more, sizeof(more));
  if (s != MICA_ERR_ACCESS_DENIED) {
    return adv_fail("raising its own job's limit from inside: %d, not ACCESS_DENIED", s);
  }
  more = MICA_JOB_MEMORY_UNLIMITED;
  s = mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &more, sizeof(more));
  if (s != MICA_ERR_ACCESS_DENIED) {
    return adv_fail("lifting its own job's limit from inside: %d, not ACCESS_DENIED", s);
  }
  s = mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit));
  if (s != MICA_OK) {
    return adv_fail("keeping its own job's limit: %d", s);
  }
  return 0;
}

// A call writing to a page it must commit, at the limit: NO_MEMORY.
static int copies_to_uncommitted_pages(mica_vaddr_t page) {
  mica_status_t s = mica_clock_get_monotonic((mica_time_t*)(uintptr_t)page);
  if (s != MICA_ERR_NO_MEMORY) {
    return adv_fail("clock_get_monotonic into a page past the limit: %d, not NO_MEMORY", s);
  }
  s = mica_vmo_read(g_vmos[0], (void*)(uintptr_t)(page + 64), 0, 64);
  if (s != MICA_ERR_NO_MEMORY) {
    return adv_fail("vmo_read into a page past the limit: %d, not NO_MEMORY", s);
  }
  return 0;
}

static int limited_calls(mica_handle_t ctl) {
  touch_stack();
  touch_image();
  if (own_limit_checks() != 0 || adv_makers_setup() != 0) {
    return 1;
  }
  // A page mapped now and left untouched (its page table made now too, by
  // touching the page next to it).
  mica_handle_t pages;
  mica_vaddr_t addr = 0;
  if (mica_vmo_create(2 * MICA_PAGE_SIZE, 0, &pages) != MICA_OK ||
      mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, pages, 0,
                    2 * MICA_PAGE_SIZE, &addr) != MICA_OK) {
    return adv_fail("cannot map two pages");
  }
  *(volatile uint8_t*)(uintptr_t)addr = 1;
  const mica_vaddr_t untouched = addr + MICA_PAGE_SIZE;
  // Pages first, in ever smaller VMOs, then every creating call.
  mica_status_t s = commit_until_refused(kSource);
  if (s == MICA_ERR_NO_MEMORY) {
    s = commit_until_refused(MICA_PAGE_SIZE);
  }
  if (s != MICA_ERR_NO_MEMORY) {
    return adv_fail("committing pages at the job's limit ended with %d, not NO_MEMORY", s);
  }
  if (adv_every_call_fails("at the job's limit", MICA_OK) != 0 ||
      copies_to_uncommitted_pages(untouched) != 0) {
    return 1;
  }
  if (!poke(ctl) || !poked(ctl, adv_after_ms(60000))) {
    return adv_fail("no go-on from the scenario");
  }
  // Back below the limit, everything works again.
  adv_release_made();
  adv_close_all(g_vmos, &g_vmo_count);
  mica_handle_t a, c, vmo;
  if (mica_channel_create(0, &a, &c) != MICA_OK || mica_vmo_create(kSource, 0, &vmo) != MICA_OK ||
      mica_vmo_write(vmo, g_source, 0, kSource) != MICA_OK ||
      mica_channel_write(a, 0, g_source, 64, &vmo, 1) != MICA_OK) {
    return adv_fail("cannot make objects after giving everything back");
  }
  return 0;
}

static int limited_faults(void) {
  const uint64_t kSize = 2 * (uint64_t)kLimit;
  mica_handle_t vmo;
  mica_vaddr_t addr = 0;
  if (mica_vmo_create(kSize, 0, &vmo) != MICA_OK ||
      mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, kSize,
                    &addr) != MICA_OK) {
    return adv_fail("cannot map %llu bytes", (unsigned long long)kSize);
  }
  for (uint64_t off = 0; off < kSize; off += MICA_PAGE_SIZE) {
    ((volatile uint8_t*)(uintptr_t)addr)[off] = 1;
  }
  return adv_fail("touched %llu bytes of pages with a limit of %u", (unsigned long long)kSize,
                  kLimit);
}

int adv_limited_main(const char* mode, mica_handle_t ctl) {
  if (strcmp(mode, "calls") == 0) {
    return limited_calls(ctl);
  }
  if (strcmp(mode, "faults") == 0) {
    return limited_faults();
  }
  return adv_fail("no mode %s", mode);
}

// ---- The scenario ---------------------------------------------------------------

static mica_info_job_memory_t job_memory(mica_handle_t job) {
  mica_info_job_memory_t info;
  memset(&info, 0, sizeof(info));
  info.used = ~0ull;
  mica_object_get_info(job, MICA_INFO_JOB_MEMORY, &info, sizeof(info), NULL, NULL);
  return info;
}

// Waits (10 s at most) until `job` has nothing charged: its processes are
// freed by the reaper thread a little after they end.
static bool settles_at_zero(mica_handle_t job) {
  for (int i = 0; i < 1000; i++) {
    if (job_memory(job).used == 0) {
      return true;
    }
    mica_nanosleep(adv_after_ms(10));
  }
  return false;
}

static mica_handle_t limited_job(void) {
  mica_handle_t job = MICA_HANDLE_INVALID;
  uint64_t limit = kLimit;
  if (mica_job_create(mica_rt_job_default(), 0, &job) != MICA_OK ||
      mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit)) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return job;
}

// Starts `adversary --limited <mode>` in a new limited job.
static int start_limited(const char* mode, mica_handle_t* job, mica_handle_t* proc,
                         mica_handle_t* ctl) {
  char why[160];
  mica_handle_t theirs;
  *job = limited_job();
  if (*job == MICA_HANDLE_INVALID || mica_channel_create(0, ctl, &theirs) != MICA_OK) {
    return adv_fail("cannot make a limited job or its channel");
  }
  const char* argv[] = {"bin/adversary", "--limited", mode};
  if (!adv_launch(argv, 3, *job, &theirs, 1, proc, why, sizeof(why))) {
    return adv_fail("cannot start the %s program in a limited job: %s", mode, why);
  }
  return 0;
}

static mica_info_process_t wait_ended(mica_handle_t proc) {
  mica_info_process_t info;
  memset(&info, 0, sizeof(info));
  mica_object_wait_one(proc, MICA_PROCESS_TERMINATED, adv_after_ms(60000), NULL);
  mica_object_get_info(proc, MICA_INFO_PROCESS, &info, sizeof(info), NULL, NULL);
  return info;
}

// While the limited job is at its limit: this job and a sibling with the
// same limit are not held to it.
static int others_carry_on(void) {
  mica_handle_t made[64];
  uint32_t count = 0;
  for (; count < 64; count++) {
    if (mica_event_create(0, &made[count]) != MICA_OK) {
      adv_close_all(made, &count);
      return adv_fail("event_create failed in another job");
    }
  }
  adv_close_all(made, &count);
  mica_handle_t vmo;
  for (uint64_t off = 0; off < (8u << 20); off += kSource) {
    if ((off == 0 && mica_vmo_create(8u << 20, 0, &vmo) != MICA_OK) ||
        mica_vmo_write(vmo, g_source, off, kSource) != MICA_OK) {
      return adv_fail("committing pages failed in another job");
    }
  }
  mica_handle_close(vmo);
  mica_handle_t sibling = limited_job(), proc, vmar;
  if (sibling == MICA_HANDLE_INVALID ||
      mica_process_create(sibling, "sibling", 7, 0, &proc, &vmar) != MICA_OK) {
    return adv_fail("a sibling job with the same limit cannot make a process");
  }
  mica_handle_close(proc);
  mica_handle_close(vmar);
  bool zero = settles_at_zero(sibling);
  mica_handle_close(sibling);
  return zero ? 0 : adv_fail("the sibling job's count did not come back to 0");
}

static int calls_at_the_limit(void) {
  mica_handle_t job, proc, ctl;
  if (start_limited("calls", &job, &proc, &ctl) != 0) {
    return 1;
  }
  if (!poked(ctl, adv_after_ms(60000))) {
    return adv_fail("the limited program never reached its limit");
  }
  mica_info_job_memory_t info = job_memory(job);
  if (info.used > kLimit || info.peak > kLimit || info.failures == 0 ||
      info.flags != MICA_INFO_JOB_MEMORY_FLAG_ACCOUNTED) {
    return adv_fail("at the limit: used %llu, peak %llu, %llu refused, flags %u (limit %u)",
                    (unsigned long long)info.used, (unsigned long long)info.peak,
                    (unsigned long long)info.failures, info.flags, kLimit);
  }
  if (info.used < kLimit - (256u << 10)) {
    return adv_fail("refused at %llu bytes, far below the limit of %u",
                    (unsigned long long)info.used, kLimit);
  }
  if (others_carry_on() != 0 || !poke(ctl)) {
    return 1;
  }
  mica_info_process_t p = wait_ended(proc);
  if ((p.flags & MICA_INFO_PROCESS_FLAG_EXITED) == 0 || p.return_code != 0) {
    return adv_fail("the limited program ended with %lld (flags 0x%x)", (long long)p.return_code,
                    p.flags);
  }
  mica_handle_close(proc);
  mica_handle_close(ctl);
  if (!settles_at_zero(job)) {
    return adv_fail("the job's count stayed at %llu once its process was gone",
                    (unsigned long long)job_memory(job).used);
  }
  mica_handle_close(job);
  return 0;
}

static int faults_at_the_limit(void) {
  mica_handle_t job, proc, ctl;
  if (start_limited("faults", &job, &proc, &ctl) != 0) {
    return 1;
  }
  mica_info_process_t p = wait_ended(proc);
  if ((p.flags & MICA_INFO_PROCESS_FLAG_FAULTED) == 0 || p.return_code != MICA_TASK_RETCODE_FAULT) {
    return adv_fail("a fault past the limit: the program ended with %lld (flags 0x%x), not killed",
                    (long long)p.return_code, p.flags);
  }
  mica_info_job_memory_t info = job_memory(job);
  if (info.peak > kLimit || info.failures == 0) {
    return adv_fail("faults: peak %llu, %llu refused (limit %u)", (unsigned long long)info.peak,
                    (unsigned long long)info.failures, kLimit);
  }
  mica_handle_close(proc);
  mica_handle_close(ctl);
  if (!settles_at_zero(job)) {
    return adv_fail("the job's count stayed at %llu once its faulted process was gone",
                    (unsigned long long)job_memory(job).used);
  }
  mica_handle_close(job);
  return 0;
}

int adv_job_limit(void) {
  char why[160];
  if (!adv_open_bootfs(adv_bootfs_vmo(), why, sizeof(why))) {
    return adv_fail("no bootfs to start programs from: %s", why);
  }
  return calls_at_the_limit() != 0 || faults_at_the_limit() != 0 ? 1 : 0;
}
