// A process that was never started is killed when its last handle closes
// (docs/kernel.md, "Objects and handles") and freed by the reaper with
// everything it holds, whatever other handles (its root VMAR, its threads)
// live on and whatever is done through them meanwhile; and a task killing
// itself through its last handle leaves nothing behind. Each test checks
// that the kernel's available memory (free pages + free heap, KMEM_STATS)
// comes back exactly. At 33de916 an unstarted process lived until its job
// was killed.

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE MICA_PAGE_SIZE

// A new process of the default job, with a thread (if `thread` is not
// NULL) and a committed page of a VMO mapped into its root VMAR at *addr
// (if `addr` is not NULL).
static bool step_ok(mica_status_t s, int line) {
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, line, "a step of unstarted()", s);
    return false;
  }
  return true;
}
#define ct_check_ok(expr) step_ok((expr), __LINE__)

// On a failure (allocation fault injection makes them) nothing is left:
// *proc is MICA_HANDLE_INVALID and the caller gives up.
static void unstarted(mica_handle_t* proc, mica_handle_t* vmar, mica_handle_t* thread,
                      mica_vaddr_t* addr) {
  *proc = *vmar = MICA_HANDLE_INVALID;
  if (thread != NULL) {
    *thread = MICA_HANDLE_INVALID;
  }
  ASSERT_OK(mica_process_create(mica_rt_job_default(), "unstarted", 9, 0, proc, vmar));
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  if ((thread != NULL && !ct_check_ok(mica_thread_create(*proc, "t", 1, 0, thread))) ||
      (addr != NULL && (!ct_check_ok(mica_vmo_create(PAGE, 0, &vmo)) ||
                        !ct_check_ok(mica_vmar_map(*vmar, MICA_VM_PERM_READ | MICA_VM_MAP_RANGE, 0,
                                                   vmo, 0, PAGE, addr))))) {
    mica_handle_close(vmo);
    mica_handle_close(*proc);
    mica_handle_close(*vmar);
    if (thread != NULL) {
      mica_handle_close(*thread);
      *thread = MICA_HANDLE_INVALID;
    }
    *proc = *vmar = MICA_HANDLE_INVALID;
    return;
  }
  if (vmo != MICA_HANDLE_INVALID) {
    EXPECT_OK(mica_handle_close(vmo));
  }
}

static void create_and_close(void) {
  mica_handle_t proc, vmar;
  unstarted(&proc, &vmar, NULL, NULL);
  if (proc == MICA_HANDLE_INVALID) {
    return;
  }
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_OK(mica_handle_close(vmar));
}

TEST(process_unstarted, freed_when_its_handles_close) {
  ct_expect_no_leak(create_and_close, 20);
}

// The process handle goes first; the root VMAR and a thread handle stay
// and are used: the process is dead at once (so its address space is
// gone and the thread can never start), and everything is freed once they
// close too.
static void kept_vmar_and_thread(void) {
  mica_handle_t proc, vmar, thread = MICA_HANDLE_INVALID, vmo;
  mica_vaddr_t addr = 0, addr2 = 0;
  unstarted(&proc, &vmar, &thread, &addr);
  if (proc == MICA_HANDLE_INVALID) {
    return;
  }
  if (!ct_check_ok(mica_vmo_create(PAGE, 0, &vmo))) {
    mica_handle_close(proc);
    mica_handle_close(thread);
    mica_handle_close(vmar);
    return;
  }
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_STATUS(mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr2),
                MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_vmar_unmap(vmar, addr, PAGE), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_thread_start(thread, addr, addr + PAGE, 0, 0), MICA_ERR_BAD_STATE);
  mica_info_vmar_t info;
  EXPECT_OK(mica_object_get_info(vmar, MICA_INFO_VMAR, &info, sizeof(info), NULL, NULL));
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_OK(mica_handle_close(thread));
  EXPECT_OK(mica_handle_close(vmar));
}

TEST(process_unstarted, killed_while_its_vmar_and_thread_live_on) {
  ct_expect_no_leak(kept_vmar_and_thread, 20);
}

// Only the last handle kills: while a duplicate lives the process does
// too (a mapping into it still works).
TEST(process_unstarted, last_close_kills_it) {
  mica_handle_t proc, vmar, thread = MICA_HANDLE_INVALID, dup, vmo, job;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  ASSERT_OK(mica_process_create(job, "unstarted", 9, 0, &proc, &vmar));
  ASSERT_OK(mica_thread_create(proc, "t", 1, 0, &thread));
  // A duplicate is a handle too: closing the first one kills nothing.
  ASSERT_OK(mica_handle_duplicate(proc, MICA_RIGHT_SAME_RIGHTS, &dup));
  EXPECT_OK(mica_handle_close(proc));
  EXPECT_STATUS(mica_object_wait_one(dup, MICA_PROCESS_TERMINATED, 0, NULL), MICA_ERR_TIMED_OUT);
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  mica_vaddr_t addr = 0;
  EXPECT_OK(mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  // The last handle: killed at once, its address space gone.
  EXPECT_OK(mica_handle_close(dup));
  EXPECT_STATUS(mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr), MICA_ERR_BAD_STATE);
  EXPECT_STATUS(mica_thread_start(thread, addr, addr + PAGE, 0, 0), MICA_ERR_BAD_STATE);
  EXPECT_OK(mica_handle_close(vmo));
  EXPECT_OK(mica_handle_close(thread));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_OK(mica_task_kill(job));
  EXPECT_OK(mica_handle_close(job));
}

// process_create whose second out pointer faults: the handles it had added
// are closed and the process killed. The kernel used the process after
// closing them, when the reaper could already have freed it (found with
// the kill on last close by bin/syscall-fuzz: a kernel panic in
// ProcessDispatcher::MarkKilled from sys_process_create).
static void create_with_bad_out_pointer(void) {
  for (int i = 0; i < 20; i++) {
    mica_handle_t proc = MICA_HANDLE_INVALID;
    EXPECT_STATUS(mica_process_create(mica_rt_job_default(), "bad-out", 7, 0, &proc,
                                      (mica_handle_t*)ct_unmapped_addr()),
                  MICA_ERR_INVALID_ARGS);
  }
}

TEST(process_unstarted, create_failing_to_copy_out_frees_it) {
  ct_expect_no_leak(create_with_bad_out_pointer, 10);
}

// process_start that fails (its thread was killed before it started) gives
// `arg1` back to nobody: it is closed, not left in the new process's
// table. Here arg1 is the process's own handle: left there, the process
// would hold itself and never be freed.
static void start_fails_with_itself_as_arg(void) {
  mica_handle_t proc, vmar, thread = MICA_HANDLE_INVALID, self;
  unstarted(&proc, &vmar, &thread, NULL);
  if (proc == MICA_HANDLE_INVALID) {
    return;
  }
  ASSERT_OK(mica_handle_duplicate(proc, MICA_RIGHT_SAME_RIGHTS, &self));
  EXPECT_OK(mica_task_kill(thread));
  EXPECT_STATUS(mica_process_start(proc, thread, 0x10000, 0x20000, self, 0), MICA_ERR_BAD_STATE);
  EXPECT_FALSE(ct_valid(self));  // consumed
  EXPECT_OK(mica_handle_close(thread));
  EXPECT_OK(mica_handle_close(vmar));
  EXPECT_OK(mica_handle_close(proc));
}

TEST(process_unstarted, failed_start_does_not_keep_its_arg_in_the_process) {
  ct_expect_no_leak(start_fails_with_itself_as_arg, 20);
}

// A started process is not killed by its last handle closing, and may hold
// that handle itself: here process_start moves the caller's only handle to
// the process into it, and its thread kills the process through it. The
// kill closes the process's handles under its task lock, that last one
// among them; the close must not take the lock again (the kill on last
// close once did, before looking whether the process had started: a
// recursive spin lock acquisition, a kernel panic). task_kill does not
// return to the killed caller: its reference to the process object must
// be dropped before (it leaked, 256 bytes a time).
static const uint32_t kKillSelf[] = {
    0xd28004e8,  // mov x8, #39  (task_kill; x0 is the process's handle)
    0xd4000001,  // svc #0
    0x14000000,  // b .  (never reached)
};

static void kill_self_through_last_handle(void) {
  // Killed on an early return (it never started); once started, the
  // handle is moved into the process and this kill is refused.
  mica_handle_t proc CT_AUTO_KILL = MICA_HANDLE_INVALID, vmar, thread = MICA_HANDLE_INVALID, vmo;
  mica_vaddr_t code = 0;
  unstarted(&proc, &vmar, &thread, NULL);
  if (proc == MICA_HANDLE_INVALID) {
    return;
  }
  ASSERT_OK(mica_vmo_create(PAGE, 0, &vmo));
  ASSERT_OK(mica_vmo_write(vmo, kKillSelf, 0, sizeof(kKillSelf)));
  ASSERT_OK(mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo, 0, PAGE, &code));
  EXPECT_OK(mica_handle_close(vmo));
  ASSERT_OK(mica_process_start(proc, thread, code, code + PAGE, proc, 0));
  EXPECT_FALSE(ct_valid(proc));  // moved into the process
  EXPECT_OK(mica_object_wait_one(thread, MICA_THREAD_TERMINATED, ct_patience(), NULL));
  EXPECT_OK(mica_handle_close(thread));
  EXPECT_OK(mica_handle_close(vmar));
}

TEST(process_unstarted, started_one_killing_itself_through_its_last_handle) {
  ct_expect_no_leak(kill_self_through_last_handle, 10);
}

// A thread killing itself through its own handle: task_kill does not
// return to it, and the reference it took on the thread object went with
// it (the object leaked, 224 bytes a time, until task_kill dropped it
// first). The previous round's thread is freed when the next one starts
// (its slot is reused), so every round leaves the same behind.
static _Noreturn void kill_own_thread(uint64_t self, uint64_t unused) {
  (void)unused;
  mica_task_kill((mica_handle_t)self);
  mica_thread_exit();  // never reached
}

static void thread_kills_itself(void) {
  mica_handle_t t = ct_raw_thread_create("ct-kill-self");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  mica_handle_t own = ct_dup(t, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(own, MICA_HANDLE_INVALID);
  ASSERT_OK(ct_raw_thread_start(t, kill_own_thread, 0, own, 0));
  EXPECT_OK(ct_wait_terminated(t));
  EXPECT_OK(mica_handle_close(own));
  EXPECT_OK(mica_handle_close(t));
}

TEST(process_unstarted, thread_killing_itself_leaves_nothing) {
  ct_expect_no_leak(thread_kills_itself, 10);
}

// Concurrently: each worker makes unstarted processes and, while another
// worker may be closing their process handles, maps into, unmaps from and
// starts a thread in them through the handles that stay. (A thread start
// that wins the race starts the process: its thread calls thread_exit,
// which ends the process, which frees it as well.)
enum { kWorkers = 3, kRounds = 40 };

static const uint32_t kThreadExit[] = {
    0xd28004c8,  // mov x8, #38  (thread_exit)
    0xd4000001,  // svc #0
};

// Each worker's process handle, for whichever of it and the next worker
// takes it first (an atomic exchange: exactly one closes it).
static mica_handle_t g_pending[kWorkers];

// Each worker's result: 0 once it made every round, 1 if a call that must
// succeed failed.
static volatile int g_failed[kWorkers];
static mica_handle_t g_race_job;

// A raw thread (task_util.h: a static stack, only syscalls), so that the
// workers map nothing into this process: its own address space stays as it
// was, and only what the kernel gives back is measured.
static _Noreturn void race_worker(uint64_t arg, uint64_t unused) {
  (void)unused;
  int me = (int)arg;
  g_failed[me] = 0;
  for (int r = 0; r < kRounds && g_failed[me] == 0; r++) {
    mica_handle_t proc, vmar, thread = MICA_HANDLE_INVALID, vmo = MICA_HANDLE_INVALID;
    mica_vaddr_t addr = 0;
    if (mica_process_create(g_race_job, "race", 4, 0, &proc, &vmar) != MICA_OK) {
      g_failed[me] = 1;
      break;
    }
    mica_vaddr_t code = 0;
    if (mica_thread_create(proc, "t", 1, 0, &thread) != MICA_OK ||
        mica_vmo_create(PAGE, 0, &vmo) != MICA_OK ||
        mica_vmo_write(vmo, kThreadExit, 0, sizeof(kThreadExit)) != MICA_OK ||
        mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0, vmo, 0, PAGE, &code) !=
            MICA_OK) {
      g_failed[me] = 1;
    }
    __atomic_store_n(&g_pending[me], proc, __ATOMIC_RELEASE);
    mica_handle_t other =
        __atomic_exchange_n(&g_pending[(me + 1) % kWorkers], MICA_HANDLE_INVALID, __ATOMIC_ACQ_REL);
    if (other != MICA_HANDLE_INVALID) {
      (void)mica_handle_close(other);
    }
    for (int i = 0; i < 4; i++) {
      if (mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_MAP_RANGE, 0, vmo, 0, PAGE, &addr) ==
          MICA_OK) {
        (void)mica_vmar_unmap(vmar, addr, PAGE);
      }
      (void)mica_vmar_map(vmar, MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr);
    }
    // Only now and then: each started thread has a kernel stack until the
    // reaper frees its process, and the kernel's own page tables (which
    // map the stacks) grow to the highest number of stacks ever and are
    // never freed, a page more once in a while that is not a leak.
    if (r % 8 == 7) {
      (void)mica_thread_start(thread, code, 0x20000, 0, 0);
    }
    mica_handle_t mine = __atomic_exchange_n(&g_pending[me], MICA_HANDLE_INVALID, __ATOMIC_ACQ_REL);
    if (mine != MICA_HANDLE_INVALID) {
      (void)mica_handle_close(mine);
    }
    (void)mica_handle_close(thread);
    (void)mica_handle_close(vmar);
    (void)mica_handle_close(vmo);
  }
  mica_thread_exit();
}

static void race(void) {
  mica_handle_t t[kWorkers];
  g_race_job = mica_rt_job_default();
  for (int i = 0; i < kWorkers; i++) {
    g_failed[i] = 1;
    t[i] = ct_raw_thread_create("ct-race");
    ASSERT_NE(t[i], MICA_HANDLE_INVALID);
  }
  for (int i = 0; i < kWorkers; i++) {
    EXPECT_OK(ct_raw_thread_start(t[i], race_worker, i, (uint64_t)i, 0));
  }
  for (int i = 0; i < kWorkers; i++) {
    EXPECT_OK(ct_wait_terminated(t[i]));
    EXPECT_OK(mica_handle_close(t[i]));
    EXPECT_EQ(g_failed[i], 0);
  }
  // An ended thread is freed by this process's next thread start if it is
  // off its CPU by then (TERMINATED comes a few instructions earlier): a
  // pause makes that so for every round, so each leaves the same behind
  // (its own three workers).
  mica_nanosleep(ct_now() + 10 * CT_MS);
}

TEST(process_unstarted, closed_while_other_threads_use_its_vmar_and_thread) {
  ct_expect_no_leak(race, 3);
}
