// The `nest-*` scenarios: deep nesting of everything that nests, freed by
// closing the outermost handle and, separately, by killing the job.
//
// nest-channels-close / -kill: endpoint b(0) in a message on channel 1,
// whose other endpoint b(1) is in a message on channel 2, and so on,
// 100,000 deep (R1 bug 2: at 33de916 closing the outermost handle, or
// killing the process, overflowed the kernel stack, destruction recursing
// through the messages). -close closes the outermost endpoint and the
// parent requires the memory back exactly at its mark, taken before the
// chain was built, while the child still runs; -kill keeps the outermost
// endpoint and has its job killed.
// nest-jobs: job inside job down to MICA_MAX_JOB_DEPTH (the next is
// refused with OUT_OF_RANGE), each holding an unstarted process; freed by
// closing the handles outermost first, then again by killing the top job.
// nest-vmars: VMAR inside VMAR until the kernel refuses (its depth limit),
// a VMO mapped and touched in the deepest; vmar_destroy of the top one must
// give everything back, page tables included, while the child runs; a
// second tree, its handles closed, goes with the process.
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"

enum {
  kChannelDepth = 100000,
  kWarmDepth = 64,
  kMaxNest = 64,
};

// Builds the chain `depth` deep; *outer is its outermost endpoint.
static int build_chain(uint32_t depth, mica_handle_t* outer) {
  mica_handle_t inner = MICA_HANDLE_INVALID;
  for (uint32_t i = 0; i < depth; i++) {
    mica_handle_t a, b;
    mica_status_t s = mica_channel_create(0, &a, &b);
    if (s != MICA_OK) {
      return adv_fail("channel_create failed at depth %u: %d", i, s);
    }
    if (inner != MICA_HANDLE_INVALID) {
      s = mica_channel_write(a, 0, "n", 1, &inner, 1);
      if (s != MICA_OK) {
        return adv_fail("channel_write failed at depth %u: %d", i, s);
      }
    }
    mica_handle_close(a);
    inner = b;
  }
  *outer = inner;
  return 0;
}

int adv_nest_channels_close(void) {
  mica_handle_t outer;
  if (build_chain(kWarmDepth, &outer) != 0) {
    return 1;
  }
  mica_handle_close(outer);
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  if (build_chain(kChannelDepth, &outer) != 0) {
    return 1;
  }
  mica_handle_close(outer);
  return adv_check_baseline("closing a chain 100000 deep") ? 0 : 1;
}

int adv_nest_channels_kill(void) {
  mica_handle_t outer;
  if (build_chain(kChannelDepth, &outer) != 0) {
    return 1;
  }
  adv_await_kill();
}

// Jobs nested to the limit; handles in jobs[0, *count).
static int build_jobs(mica_handle_t* jobs, uint32_t* count) {
  mica_handle_t parent = mica_rt_job_default();
  uint32_t n = 0;
  for (;;) {
    mica_handle_t j = MICA_HANDLE_INVALID, p, v;
    mica_status_t s = mica_job_create(parent, 0, &j);
    if (s == MICA_ERR_OUT_OF_RANGE) {
      break;
    }
    if (s != MICA_OK || n == kMaxNest) {
      return adv_fail("job_create at depth %u: %d (expected OUT_OF_RANGE at the limit)", n, s);
    }
    jobs[n++] = j;
    if (mica_process_create(j, "nested", 6, 0, &p, &v) != MICA_OK) {
      return adv_fail("process_create in the job at depth %u failed", n);
    }
    jobs[n++] = p;
    jobs[n++] = v;
    parent = j;
    if (n + 3 > kMaxNest * 3) {
      return adv_fail("jobs nest deeper than %u", kMaxNest);
    }
  }
  *count = n;
  return 0;
}

int adv_nest_jobs(void) {
  static mica_handle_t jobs[kMaxNest * 3];
  uint32_t n = 0;
  if (build_jobs(jobs, &n) != 0) {
    return 1;
  }
  adv_close_all(jobs, &n);  // outermost first
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  if (build_jobs(jobs, &n) != 0) {
    return 1;
  }
  adv_close_all(jobs, &n);
  // Both ways are checked, whatever the first gives.
  bool closed = adv_check_baseline("closing jobs nested to the limit");
  if (!closed) {
    // Whatever the closing left must not hide what the kill gives.
    if (!adv_mark_baseline()) {
      return adv_fail("the parent could not mark memory");
    }
  }
  if (build_jobs(jobs, &n) != 0) {
    return 1;
  }
  if (mica_task_kill(jobs[0]) != MICA_OK) {
    return adv_fail("task_kill of the top job failed");
  }
  adv_close_all(jobs, &n);
  bool killed = adv_check_baseline("killing the top of jobs nested to the limit");
  return closed && killed ? 0 : 1;
}

// VMARs nested until the kernel refuses; handles in vmars[0, *count).
static int build_vmars(mica_handle_t* vmars, uint32_t* count) {
  mica_handle_t parent = mica_rt_vmar_root();
  uint64_t size = 64u << 20;
  uint32_t n = 0;
  const uint32_t opts = MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE;
  for (;;) {
    mica_handle_t v = MICA_HANDLE_INVALID;
    mica_vaddr_t addr = 0;
    mica_status_t s = mica_vmar_allocate(parent, opts, 0, size, &v, &addr);
    if (s != MICA_OK) {
      if (n < 2) {
        return adv_fail("vmar_allocate failed at depth %u: %d", n, s);
      }
      break;
    }
    if (n == kMaxNest) {
      return adv_fail("VMARs nest deeper than %u", kMaxNest);
    }
    vmars[n++] = v;
    parent = v;
    size -= MICA_PAGE_SIZE;
  }
  mica_handle_t vmo;
  mica_vaddr_t addr = 0;
  if (mica_vmo_create(MICA_PAGE_SIZE, 0, &vmo) != MICA_OK ||
      mica_vmar_map(parent, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, MICA_PAGE_SIZE,
                    &addr) != MICA_OK) {
    return adv_fail("cannot map a VMO in the deepest VMAR");
  }
  *(volatile uint8_t*)(uintptr_t)addr = 1;
  mica_handle_close(vmo);
  *count = n;
  return 0;
}

int adv_nest_vmars(void) {
  static mica_handle_t vmars[kMaxNest];
  uint32_t n = 0;
  if (build_vmars(vmars, &n) != 0) {
    return 1;
  }
  mica_vmar_destroy(vmars[0]);
  adv_close_all(vmars, &n);
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  if (build_vmars(vmars, &n) != 0) {
    return 1;
  }
  if (mica_vmar_destroy(vmars[0]) != MICA_OK) {
    return adv_fail("vmar_destroy of the top VMAR failed");
  }
  adv_close_all(vmars, &n);
  if (!adv_check_baseline("vmar_destroy of VMARs nested to the limit (page tables included)")) {
    return 1;
  }
  // Left for the process's death: only the handles are closed, the
  // mapping keeps the VMARs.
  if (build_vmars(vmars, &n) != 0) {
    return 1;
  }
  adv_close_all(vmars, &n);
  return 0;
}
