// The `cycle-*` scenarios: sets of objects kept alive only by handles in
// flight inside messages queued within the set (R1 bug 3: at 33de916 they
// were never freed, not even when their job was killed). Shapes: an
// endpoint queued into itself (`self`), A<->B over two channels (`pair`),
// a ring of 16 channels (`ring`), and a ring of 4 whose every message also
// carries one of everything (`carry`: a port with a bound timer and a
// wait_async registration, both ends of an event pair, an event, an
// unstarted process with its root VMAR, a sub-VMAR, a mapped VMO and a
// thread, a job, a channel with a message queued). In each ring, channel i
// carries endpoint b(i+1) to b(i), and every a(i) is then closed.
//
// `-close`: after warm-up rounds (the same calls, no cycle made), the
// parent marks the kernel's memory; the child makes and abandons a number
// of cycles; the parent requires the memory back exactly at the mark while
// the child still runs (so cycles are freed when their last outside handle
// goes, not at process death, and none is left pending).
// `-kill`: the child makes cycles, abandoned and with one outside handle
// still open, and its job is killed; the parent requires the memory back
// exactly at its figure from before the child.
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"

enum {
  kMaxRing = 16,
  kMaxCarry = 16,
  kWarmRounds = 3,
};

// One of everything a message can carry into a cycle; *count handles into
// out[]. Returns false if something could not be made.
static bool make_carry(mica_handle_t* out, uint32_t* count) {
  uint32_t n = 0;
  mica_handle_t port, timer, ea, eb, ev, proc, vmar, thread, sub, vmo, job, x, y, inner;
  mica_vaddr_t addr = 0;
  if (mica_port_create(0, &port) != MICA_OK || mica_timer_create(0, &timer) != MICA_OK ||
      mica_timer_bind(timer, port, 7, 0) != MICA_OK ||
      mica_timer_set(timer, adv_after_ms(3600 * 1000), 0) != MICA_OK ||
      mica_object_wait_async(timer, port, 8, MICA_TIMER_SIGNALED, 0) != MICA_OK ||
      mica_eventpair_create(0, &ea, &eb) != MICA_OK || mica_event_create(0, &ev) != MICA_OK ||
      mica_object_wait_async(ev, port, 9, MICA_EVENT_SIGNALED, 0) != MICA_OK ||
      mica_process_create(mica_rt_job_default(), "carried", 7, 0, &proc, &vmar) != MICA_OK ||
      mica_thread_create(proc, "carried", 7, 0, &thread) != MICA_OK ||
      mica_vmar_allocate(vmar, MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE, 0, 1u << 20, &sub,
                         &addr) != MICA_OK ||
      mica_vmo_create(4 * MICA_PAGE_SIZE, 0, &vmo) != MICA_OK ||
      mica_vmo_write(vmo, "carried", 0, 7) != MICA_OK ||
      mica_vmar_map(sub, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, 4 * MICA_PAGE_SIZE,
                    &addr) != MICA_OK ||
      mica_job_create(mica_rt_job_default(), 0, &job) != MICA_OK ||
      mica_channel_create(0, &x, &y) != MICA_OK || mica_event_create(0, &inner) != MICA_OK ||
      mica_channel_write(x, 0, "in", 2, &inner, 1) != MICA_OK) {
    return false;
  }
  mica_handle_t all[] = {port, timer, ea, eb, ev, proc, vmar, thread, sub, vmo, job, x, y};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    out[n++] = all[i];
  }
  *count = n;
  return true;
}

// Builds a ring of `n` channels (n = 1: an endpoint queued into itself) and
// abandons it; with `keep_outside`, a(0) stays open (returned in *outside).
// With `warm_only`, the same channels and messages without the b(i+1) in
// them, every endpoint closed: the same calls and handle counts (so this
// process's handle table and the kernel's caches are warm), no cycle.
static int build_ring(uint32_t n, bool carry, bool keep_outside, mica_handle_t* outside,
                      bool warm_only) {
  mica_handle_t a[kMaxRing], b[kMaxRing];
  for (uint32_t i = 0; i < n; i++) {
    if (mica_channel_create(0, &a[i], &b[i]) != MICA_OK) {
      return adv_fail("channel_create failed");
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    mica_handle_t h[1 + kMaxCarry];
    uint32_t count = 0;
    if (carry && !make_carry(&h[1], &count)) {
      return adv_fail("cannot make the carried objects");
    }
    h[0] = b[(i + 1) % n];
    mica_status_t s = warm_only ? mica_channel_write(a[i], 0, "x", 1, &h[1], count)
                                : mica_channel_write(a[i], 0, "x", 1, h, 1 + count);
    if (s != MICA_OK) {
      return adv_fail("channel_write of the ring's endpoint failed: %d", s);
    }
  }
  for (uint32_t i = keep_outside ? 1 : 0; i < n; i++) {
    mica_handle_close(a[i]);
    if (warm_only) {
      mica_handle_close(b[i]);
    }
  }
  if (keep_outside) {
    *outside = a[0];
  }
  return 0;
}

static int cycle_close(uint32_t n, bool carry, uint32_t rounds) {
  // Warm up without making cycles: the mark must see none pending.
  for (uint32_t r = 0; r < kWarmRounds; r++) {
    if (build_ring(n, carry, false, NULL, true) != 0) {
      return 1;
    }
  }
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  for (uint32_t r = 0; r < rounds; r++) {
    if (build_ring(n, carry, false, NULL, false) != 0) {
      return 1;
    }
  }
  char what[64];
  snprintf(what, sizeof(what), "%u abandoned rings of %u channel(s)", rounds, n);
  return adv_check_baseline(what) ? 0 : 1;
}

static int cycle_kill(uint32_t n, bool carry, uint32_t rounds) {
  mica_handle_t outside = MICA_HANDLE_INVALID;
  for (uint32_t r = 0; r < rounds; r++) {
    if (build_ring(n, carry, r == rounds - 1, &outside, false) != 0) {
      return 1;
    }
  }
  adv_await_kill();
}

int adv_cycle_self_close(void) {
  return cycle_close(1, false, 200);
}
int adv_cycle_self_kill(void) {
  return cycle_kill(1, false, 200);
}
int adv_cycle_pair_close(void) {
  return cycle_close(2, false, 100);
}
int adv_cycle_pair_kill(void) {
  return cycle_kill(2, false, 100);
}
int adv_cycle_ring_close(void) {
  return cycle_close(kMaxRing, false, 20);
}
int adv_cycle_ring_kill(void) {
  return cycle_kill(kMaxRing, false, 20);
}
int adv_cycle_carry_close(void) {
  return cycle_close(4, true, 10);
}
int adv_cycle_carry_kill(void) {
  return cycle_kill(4, true, 10);
}
