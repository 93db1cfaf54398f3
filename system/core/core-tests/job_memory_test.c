// Kernel memory limits per job (docs/kernel.md "Job memory limits"):
// MICA_PROP_JOB_MEMORY_LIMIT and MICA_INFO_JOB_MEMORY. What this process
// makes inside a job (process_create and job_create into it, thread_create
// in its processes) is charged to that job, so these tests drive a limit
// from outside; bin/adversary's job-limit scenario runs code inside a
// limited job. Each test checks that what was charged comes back to the
// byte once everything is gone.

#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define KIB ((uint64_t)1024)
enum { kMaxMade = 512 };

static mica_info_job_memory_t job_memory(mica_handle_t job) {
  mica_info_job_memory_t info;
  memset(&info, 0xff, sizeof(info));
  mica_status_t s =
      mica_object_get_info(job, MICA_INFO_JOB_MEMORY, &info, sizeof(info), NULL, NULL);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "get_info JOB_MEMORY", s);
  }
  return info;
}

static mica_status_t set_limit(mica_handle_t job, uint64_t limit) {
  return mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit));
}

// A new empty child job of the default job with `limit`.
static mica_handle_t limited_job(mica_handle_t parent, uint64_t limit) {
  mica_handle_t job = MICA_HANDLE_INVALID;
  mica_status_t s = mica_job_create(parent, 0, &job);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_job_create", s);
    return MICA_HANDLE_INVALID;
  }
  s = set_limit(job, limit);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "set MICA_PROP_JOB_MEMORY_LIMIT", s);
  }
  return job;
}

// Waits (bounded) until `job` has `want` bytes charged: processes are
// freed by the reaper thread, a little after their last handle goes.
static uint64_t settled_used(mica_handle_t job, uint64_t want) {
  uint64_t used = 0;
  for (int i = 0; i < 400; i++) {
    used = job_memory(job).used;
    if (used == want) {
      break;
    }
    mica_nanosleep(ct_now() + 25 * CT_MS);
  }
  return used;
}

TEST(job_memory, a_new_job_is_not_counted) {
  mica_handle_t job;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  mica_info_job_memory_t info = job_memory(job);
  EXPECT_EQ(info.flags, 0u);
  EXPECT_EQ(info.limit, MICA_JOB_MEMORY_UNLIMITED);
  EXPECT_EQ(info.used, 0u);
  EXPECT_EQ(info.peak, 0u);
  EXPECT_EQ(info.failures, 0u);
  uint64_t limit = 0;
  EXPECT_OK(mica_object_get_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit)));
  EXPECT_EQ(limit, MICA_JOB_MEMORY_UNLIMITED);
  EXPECT_OK(mica_handle_close(job));
}

TEST(job_memory, property_and_topic_errors) {
  mica_handle_t job, ev = ct_event();
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  uint64_t limit = 1 << 20;
  uint8_t buf[64];
  // Jobs only.
  EXPECT_STATUS(mica_object_set_property(ev, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit)),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_JOB_MEMORY_LIMIT, buf, sizeof(buf)),
                MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_JOB_MEMORY, buf, sizeof(buf), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  // Exactly a uint64_t in; at least one out.
  EXPECT_STATUS(mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, 4),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, buf, 16),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_get_property(job, MICA_PROP_JOB_MEMORY_LIMIT, buf, 7),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(mica_object_get_info(job, MICA_INFO_JOB_MEMORY, buf, 39, NULL, NULL),
                MICA_ERR_BUFFER_TOO_SMALL);
  // Bad user pointers.
  EXPECT_STATUS(
      mica_object_set_property(job, MICA_PROP_JOB_MEMORY_LIMIT, (const void*)ct_unmapped_addr(), 8),
      MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(job_memory(job).flags, 0u);  // nothing was set
  // Rights: SET_PROPERTY to set, INSPECT to read the record.
  mica_handle_t weak = ct_dup(job, MICA_RIGHT_GET_PROPERTY);
  EXPECT_STATUS(mica_object_set_property(weak, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit)),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_get_info(weak, MICA_INFO_JOB_MEMORY, buf, sizeof(buf), NULL, NULL),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_object_get_property(weak, MICA_PROP_JOB_MEMORY_LIMIT, buf, 8));
  EXPECT_OK(mica_handle_close(weak));
  EXPECT_OK(mica_handle_close(ev));
  EXPECT_OK(mica_handle_close(job));
}

// The first limit starts the count, so the job must hold nothing yet.
TEST(job_memory, the_first_limit_needs_an_empty_job) {
  mica_handle_t job, child, proc, vmar;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  ASSERT_OK(mica_job_create(job, 0, &child));
  EXPECT_STATUS(set_limit(job, 1 << 20), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(child));  // (the job goes with its last handle)
  ASSERT_OK(mica_process_create(job, "p", 1, 0, &proc, &vmar));
  EXPECT_STATUS(set_limit(job, 1 << 20), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
  // Empty again once the unstarted process is freed.
  mica_status_t s = MICA_ERR_BAD_STATE;
  for (int i = 0; i < 400 && s == MICA_ERR_BAD_STATE; i++) {
    s = set_limit(job, 1 << 20);
    if (s == MICA_ERR_BAD_STATE) {
      mica_nanosleep(ct_now() + 25 * CT_MS);
    }
  }
  EXPECT_OK(s);
  mica_info_job_memory_t info = job_memory(job);
  EXPECT_EQ(info.flags, MICA_INFO_JOB_MEMORY_FLAG_ACCOUNTED);
  EXPECT_EQ(info.limit, (uint64_t)1 << 20);
  EXPECT_EQ(info.used, 0u);
  // Once counted, a limit can change at any time (from outside: up too).
  ASSERT_OK(mica_process_create(job, "p", 1, 0, &proc, &vmar));
  EXPECT_OK(set_limit(job, 2 << 20));
  EXPECT_OK(set_limit(job, MICA_JOB_MEMORY_UNLIMITED));
  uint64_t limit = 0;
  EXPECT_OK(mica_object_get_property(job, MICA_PROP_JOB_MEMORY_LIMIT, &limit, sizeof(limit)));
  EXPECT_EQ(limit, MICA_JOB_MEMORY_UNLIMITED);
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_EQ(settled_used(job, 0), 0u);
  EXPECT_OK(mica_handle_close(job));
}

// Makes processes in `job` until a call fails; returns that status, the
// handles in procs[0..*count). A NO_MEMORY counts only once the limit of
// `watch` (the job whose account refuses) has refused: under allocation
// fault injection (the failalloc/ cases) a call may fail without it, and is
// tried again.
static mica_status_t processes_until_refused(mica_handle_t job, mica_handle_t watch,
                                             mica_handle_t* procs, uint32_t* count) {
  *count = 0;
  uint64_t refused = job_memory(watch).failures;
  for (int injected = 0; *count + 2 <= kMaxMade && injected < 64;) {
    mica_status_t s = mica_process_create(job, "p", 1, 0, &procs[*count], &procs[*count + 1]);
    if (s == MICA_ERR_NO_MEMORY && job_memory(watch).failures == refused) {
      injected++;
      continue;
    }
    if (s != MICA_OK) {
      return s;
    }
    *count += 2;
  }
  return MICA_OK;
}

static void close_all(mica_handle_t* h, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    EXPECT_OK(mica_handle_close(h[i]));
  }
}

static mica_handle_t g_made[kMaxMade];

// Past the limit a call fails with NO_MEMORY, every other job carries on,
// and everything comes back.
static void processes_past_the_limit(void) {
  const uint64_t kLimit = 96 * KIB;
  mica_handle_t job = limited_job(mica_rt_job_default(), kLimit);
  ASSERT_NE(job, MICA_HANDLE_INVALID);
  uint32_t made = 0;
  EXPECT_STATUS(processes_until_refused(job, job, g_made, &made), MICA_ERR_NO_MEMORY);
  EXPECT_GT(made, 0u);
  mica_info_job_memory_t info = job_memory(job);
  EXPECT_LE(info.used, kLimit);
  EXPECT_GT(info.used, kLimit / 2);
  EXPECT_LE(info.peak, kLimit);
  EXPECT_GE(info.failures, 1u);
  // Another job is not held to it.
  mica_handle_t other, proc, vmar;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &other));
  for (uint32_t i = 0; i < made / 2 + 4; i++) {
    EXPECT_OK(mica_process_create(other, "q", 1, 0, &proc, &vmar));
    EXPECT_OK(mica_handle_close(proc));
    EXPECT_OK(mica_handle_close(vmar));
  }
  EXPECT_OK(mica_handle_close(other));
  // Still refused until something goes.
  EXPECT_STATUS(mica_process_create(job, "p", 1, 0, &proc, &vmar), MICA_ERR_NO_MEMORY);
  EXPECT_EQ(job_memory(job).used, info.used);
  close_all(g_made, made);
  EXPECT_EQ(settled_used(job, 0), 0u);
  // And it works again.
  EXPECT_OK(mica_process_create(job, "p", 1, 0, &proc, &vmar));
  EXPECT_GT(job_memory(job).used, 0u);
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_EQ(settled_used(job, 0), 0u);
  EXPECT_OK(mica_handle_close(job));
}

TEST(job_memory, processes_past_the_limit_fail_with_no_memory) {
  ct_expect_no_leak(processes_past_the_limit, 3);
}

// thread_create is charged to the thread's process's job, not the caller.
TEST(job_memory, threads_are_charged_to_their_process_job) {
  mica_handle_t job = limited_job(mica_rt_job_default(), MICA_JOB_MEMORY_UNLIMITED);
  ASSERT_NE(job, MICA_HANDLE_INVALID);
  mica_handle_t proc, vmar;
  ASSERT_OK(mica_process_create(job, "p", 1, 0, &proc, &vmar));
  uint64_t base = job_memory(job).used;
  EXPECT_GT(base, 0u);
  mica_handle_t t;
  ASSERT_OK(mica_thread_create(proc, "t", 1, 0, &t));
  uint64_t one = job_memory(job).used - base;
  EXPECT_GT(one, 0u);
  // Room for exactly two more: the third is refused.
  EXPECT_OK(set_limit(job, base + 3 * one));
  mica_handle_t more[3];
  EXPECT_OK(mica_thread_create(proc, "t", 1, 0, &more[0]));
  EXPECT_OK(mica_thread_create(proc, "t", 1, 0, &more[1]));
  EXPECT_STATUS(mica_thread_create(proc, "t", 1, 0, &more[2]), MICA_ERR_NO_MEMORY);
  EXPECT_EQ(job_memory(job).used, base + 3 * one);
  // A thread of this process is not charged there.
  mica_handle_t mine = ct_raw_thread_create("mine");
  EXPECT_NE(mine, MICA_HANDLE_INVALID);
  EXPECT_EQ(job_memory(job).used, base + 3 * one);
  EXPECT_OK(mica_handle_close(mine));
  EXPECT_OK(mica_handle_close(more[0]));
  EXPECT_OK(mica_handle_close(more[1]));
  EXPECT_OK(mica_handle_close(t));
  EXPECT_EQ(job_memory(job).used, base);
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_EQ(settled_used(job, 0), 0u);
  EXPECT_OK(mica_handle_close(job));
}

// A child job is charged to its parent and below its own limit is held to
// every limit above it; its own account costs the parent while it lives.
static void nested_limits(void) {
  const uint64_t kParentLimit = 128 * KIB;
  mica_handle_t parent = limited_job(mica_rt_job_default(), kParentLimit);
  ASSERT_NE(parent, MICA_HANDLE_INVALID);
  mica_handle_t child = limited_job(parent, 4 * kParentLimit);
  ASSERT_NE(child, MICA_HANDLE_INVALID);
  uint64_t overhead = job_memory(parent).used;  // the child job and its account
  EXPECT_GT(overhead, 0u);
  EXPECT_EQ(job_memory(child).used, 0u);
  uint32_t made = 0;
  EXPECT_STATUS(processes_until_refused(child, parent, g_made, &made), MICA_ERR_NO_MEMORY);
  EXPECT_GT(made, 0u);
  mica_info_job_memory_t p = job_memory(parent), c = job_memory(child);
  EXPECT_EQ(p.used, c.used + overhead);
  EXPECT_LE(p.used, kParentLimit);
  EXPECT_GE(p.failures, 1u);  // the parent's limit refused
  EXPECT_EQ(c.failures, 0u);
  close_all(g_made, made);
  EXPECT_EQ(settled_used(child, 0), 0u);
  EXPECT_EQ(job_memory(parent).used, overhead);
  // Lowering a limit below what is used refuses what comes next.
  mica_handle_t proc, vmar;
  ASSERT_OK(mica_process_create(child, "p", 1, 0, &proc, &vmar));
  EXPECT_OK(set_limit(child, job_memory(child).used));
  mica_handle_t proc2, vmar2;
  EXPECT_STATUS(mica_process_create(child, "p", 1, 0, &proc2, &vmar2), MICA_ERR_NO_MEMORY);
  EXPECT_OK(set_limit(child, 0));
  EXPECT_STATUS(mica_job_create(child, 0, &proc2), MICA_ERR_NO_MEMORY);
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_EQ(settled_used(child, 0), 0u);
  EXPECT_OK(mica_handle_close(child));
  EXPECT_EQ(settled_used(parent, 0), 0u);
  EXPECT_OK(mica_handle_close(parent));
}

TEST(job_memory, child_jobs_are_held_to_every_limit_above) {
  ct_expect_no_leak(nested_limits, 3);
}

// A job killed while it holds charges: the count still comes back to 0
// and the kernel's memory to the byte.
static void killed_at_the_limit(void) {
  mica_handle_t job = limited_job(mica_rt_job_default(), 64 * KIB);
  ASSERT_NE(job, MICA_HANDLE_INVALID);
  uint32_t made = 0;
  EXPECT_STATUS(processes_until_refused(job, job, g_made, &made), MICA_ERR_NO_MEMORY);
  EXPECT_OK(mica_task_kill(job));
  // (Refused either way: what is made is charged before the job is asked.)
  EXPECT_STATUS_EITHER(mica_process_create(job, "p", 1, 0, &g_made[made], &g_made[made + 1]),
                       MICA_ERR_BAD_STATE, MICA_ERR_NO_MEMORY);
  close_all(g_made, made);
  EXPECT_EQ(settled_used(job, 0), 0u);
  EXPECT_OK(mica_handle_close(job));
}

TEST(job_memory, a_killed_job_gives_everything_back) {
  ct_expect_no_leak(killed_at_the_limit, 3);
}
