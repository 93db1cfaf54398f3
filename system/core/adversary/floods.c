// The port and timer floods.
//
// port-flood: user packets queued on ports up to their limit (port_queue
//   then says SHOULD_WAIT), 512 events registered with wait_async on one
//   port and all signalled at once, and ports closed with all that still
//   queued and pending; the parent requires the memory back exactly at its
//   mark (taken after a warm-up round) while the child runs. Then the
//   whole flood again, left in place for the job to be killed.
// timer-flood: 1,024 timers bound to 4 ports (timer_bind), with wait_async
//   registrations as well, set 0..8 ms ahead; some fire and are drained,
//   the rest are closed while armed; the memory must be back at the mark.
// timer-flood-kill: 1,024 timers firing over the moment the job is killed.
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"

enum {
  kPorts = 4,
  kEvents = 512,
  kTimers = 1024,
  kMaxPackets = 100000,  // a port's limit is far below this
};

static mica_handle_t g_ports[kPorts];
static mica_handle_t g_objs[kTimers];

static int make_ports(void) {
  for (uint32_t i = 0; i < kPorts; i++) {
    if (mica_port_create(0, &g_ports[i]) != MICA_OK) {
      return adv_fail("port_create failed");
    }
  }
  return 0;
}

static void close_ports(void) {
  for (uint32_t i = 0; i < kPorts; i++) {
    mica_handle_close(g_ports[i]);
  }
}

static int port_flood_round(bool close_all) {
  if (make_ports() != 0) {
    return 1;
  }
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  pkt.type = MICA_PKT_TYPE_USER;
  for (uint32_t p = 0; p < kPorts - 1; p++) {
    uint32_t n = 0;
    mica_status_t s;
    while ((s = mica_port_queue(g_ports[p], &pkt)) == MICA_OK) {
      if (++n > kMaxPackets) {
        return adv_fail("port_queue accepted %u packets", n);
      }
    }
    if (s != MICA_ERR_SHOULD_WAIT) {
      return adv_fail("port_queue at the limit: %d, not SHOULD_WAIT", s);
    }
  }
  mica_handle_t last = g_ports[kPorts - 1];
  for (uint32_t i = 0; i < kEvents; i++) {
    if (mica_event_create(0, &g_objs[i]) != MICA_OK ||
        mica_object_wait_async(g_objs[i], last, i, MICA_EVENT_SIGNALED, 0) != MICA_OK ||
        mica_object_wait_async(g_objs[i], g_ports[0], i, MICA_EVENT_SIGNALED, 0) != MICA_OK) {
      return adv_fail("event %u: create or wait_async failed", i);
    }
  }
  for (uint32_t i = 0; i < kEvents; i++) {
    mica_object_signal(g_objs[i], 0, MICA_EVENT_SIGNALED);
  }
  if (!close_all) {
    return 0;
  }
  // Half the events first (their packets are queued), then the ports, then
  // the rest (registrations whose port is gone).
  for (uint32_t i = 0; i < kEvents / 2; i++) {
    mica_handle_close(g_objs[i]);
  }
  close_ports();
  for (uint32_t i = kEvents / 2; i < kEvents; i++) {
    mica_handle_close(g_objs[i]);
  }
  return 0;
}

int adv_port_flood(void) {
  if (port_flood_round(true) != 0) {
    return 1;
  }
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  for (int r = 0; r < 3; r++) {
    if (port_flood_round(true) != 0) {
      return 1;
    }
  }
  if (!adv_check_baseline("three port floods closed")) {
    return 1;
  }
  if (port_flood_round(false) != 0) {
    return 1;
  }
  adv_await_kill();
}

// Arms kTimers timers, bound to the ports and registered with wait_async,
// due `spread_ms` apart in 8 groups.
static int arm_timers(uint32_t spread_ms) {
  if (make_ports() != 0) {
    return 1;
  }
  for (uint32_t i = 0; i < kTimers; i++) {
    mica_handle_t port = g_ports[i % kPorts];
    if (mica_timer_create(0, &g_objs[i]) != MICA_OK ||
        mica_timer_bind(g_objs[i], port, i, 0) != MICA_OK ||
        mica_object_wait_async(g_objs[i], g_ports[(i + 1) % kPorts], i, MICA_TIMER_SIGNALED, 0) !=
            MICA_OK ||
        mica_timer_set(g_objs[i], adv_after_ms((i % 8) * spread_ms), 0) != MICA_OK) {
      return adv_fail("timer %u: create, bind, wait_async or set failed", i);
    }
  }
  return 0;
}

static int timer_flood_round(void) {
  if (arm_timers(1) != 0) {
    return 1;
  }
  // Drain what fires in the first few milliseconds, re-arm a quarter,
  // cancel a quarter, close the rest armed or fired.
  mica_port_packet_t pkt;
  mica_time_t until = adv_after_ms(4);
  while (mica_port_wait(g_ports[0], until, &pkt) == MICA_OK) {
  }
  for (uint32_t i = 0; i < kTimers; i += 4) {
    mica_timer_set(g_objs[i], adv_after_ms(2), 0);
    mica_timer_cancel(g_objs[i + 1]);
  }
  for (uint32_t i = 0; i < kTimers; i++) {
    mica_handle_close(g_objs[i]);
  }
  close_ports();
  return 0;
}

int adv_timer_flood(void) {
  if (timer_flood_round() != 0) {
    return 1;
  }
  if (!adv_mark_baseline()) {
    return adv_fail("the parent could not mark memory");
  }
  for (int r = 0; r < 3; r++) {
    if (timer_flood_round() != 0) {
      return 1;
    }
  }
  // Timers closed while armed must be gone once their deadline has passed.
  mica_nanosleep(adv_after_ms(20));
  return adv_check_baseline("three timer floods closed") ? 0 : 1;
}

int adv_timer_flood_kill(void) {
  if (arm_timers(2) != 0) {
    return 1;
  }
  adv_await_kill();
}
