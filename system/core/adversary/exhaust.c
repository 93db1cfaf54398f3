// The `exhaust` scenario: memory exhaustion by every route, every creating
// call while exhausted, then recovery (R1 bug 1: at 33de916 event_create
// panicked with `kernel write at 0x8` in Dispatcher::Dispatcher once
// vmo_write had used up the pages).
//
// 1. Pages: touch mappings of 16 MiB VMOs for a quarter of RAM (a page
//    fault that finds no page would kill this process, so this route stops
//    early), then commit VMO pages with vmo_write (16 MiB, 1 MiB, 64 KiB
//    and 4 KiB VMOs) until NO_MEMORY.
// 2. Every call that makes something, each repeated until it fails (free
//    heap left in one size class must not hide the failure), must fail
//    with NO_MEMORY (thread_create may also hit the thread limit).
// 3. Then, for each heap route (events, channels, queued channel messages,
//    threads of unstarted processes, handle table growth): give back one
//    1 MiB VMO, fill that with the route until NO_MEMORY (the handle table
//    may reach its limit first: then NO_RESOURCES), and run 2 again;
//    release the route's objects.
// 4. Release everything; making objects works again, and the parent
//    requires the kernel's memory back exactly once the child is gone.
// Everything this process touches while exhausted (stack, buffers) is
// touched before, since a page fault then could not be served.
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"

enum {
  kMaxVmos = 8192,
  kMaxKept = 1 << 17,     // handles made while exhausted
  kChunk = 1 << 20,       // vmo_write's source
  kTriesPerCall = 70000,  // more than a handle table holds
};

static mica_handle_t g_vmos[kMaxVmos];
static uint32_t g_vmo_count;
static uint32_t g_small_first;  // g_vmos[g_small_first..] are the 1 MiB VMOs
static mica_handle_t g_kept[kMaxKept];
static uint32_t g_kept_count;
static uint8_t g_chunk[kChunk];
static mica_handle_t g_event, g_port, g_parent_vmo, g_channel_w, g_channel_r;

static void keep(mica_handle_t h) {
  if (g_kept_count < kMaxKept) {
    g_kept[g_kept_count++] = h;
  } else {
    mica_handle_close(h);
  }
}

mica_status_t adv_commit_vmos(uint64_t size, mica_handle_t* vmos, uint32_t* count, uint32_t max,
                              const uint8_t* source, uint64_t source_size) {
  for (;;) {
    if (*count == max) {
      return MICA_ERR_NO_RESOURCES;
    }
    mica_handle_t vmo = MICA_HANDLE_INVALID;
    mica_status_t s = mica_vmo_create(size, 0, &vmo);
    if (s != MICA_OK) {
      return s;
    }
    vmos[(*count)++] = vmo;
    for (uint64_t off = 0; off < size; off += source_size) {
      uint64_t n = size - off < source_size ? size - off : source_size;
      s = mica_vmo_write(vmo, source, off, n);
      if (s != MICA_OK) {
        return s;
      }
    }
  }
}

// Commits `size`-byte VMOs until the kernel says NO_MEMORY.
static mica_status_t commit_until_full(uint64_t size) {
  return adv_commit_vmos(size, g_vmos, &g_vmo_count, kMaxVmos, g_chunk, kChunk);
}

// Touches every page of 16 MiB mappings until `bytes` are committed.
static int touch_mappings(uint64_t bytes) {
  const uint64_t kSize = 16u << 20;
  for (uint64_t done = 0; done < bytes; done += kSize) {
    mica_handle_t vmo = MICA_HANDLE_INVALID;
    mica_vaddr_t addr = 0;
    if (mica_vmo_create(kSize, 0, &vmo) != MICA_OK ||
        mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, kSize,
                      &addr) != MICA_OK) {
      return adv_fail("cannot map a 16 MiB VMO after %llu MiB", (unsigned long long)(done >> 20));
    }
    g_vmos[g_vmo_count++] = vmo;  // the mapping goes with the process
    for (uint64_t off = 0; off < kSize; off += MICA_PAGE_SIZE) {
      ((volatile uint8_t*)(uintptr_t)addr)[off] = 1;
    }
  }
  return 0;
}

// One creating call: makes something (kept) or fails.
typedef mica_status_t (*make_fn)(void);

static mica_status_t make_event(void) {
  mica_handle_t h;
  mica_status_t s = mica_event_create(0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_eventpair(void) {
  mica_handle_t a, b;
  mica_status_t s = mica_eventpair_create(0, &a, &b);
  if (s == MICA_OK) {
    keep(a);
    keep(b);
  }
  return s;
}
static mica_status_t make_channel(void) {
  mica_handle_t a, b;
  mica_status_t s = mica_channel_create(0, &a, &b);
  if (s == MICA_OK) {
    keep(a);
    keep(b);
  }
  return s;
}
static mica_status_t make_port(void) {
  mica_handle_t h;
  mica_status_t s = mica_port_create(0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_timer(void) {
  mica_handle_t h;
  mica_status_t s = mica_timer_create(0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_vmo(void) {
  mica_handle_t h;
  mica_status_t s = mica_vmo_create(MICA_PAGE_SIZE, 0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_vmo_child(void) {
  mica_handle_t h;
  mica_status_t s =
      mica_vmo_create_child(g_parent_vmo, MICA_VMO_CHILD_COPY_ON_WRITE, 0, MICA_PAGE_SIZE, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_job(void) {
  mica_handle_t h;
  mica_status_t s = mica_job_create(mica_rt_job_default(), 0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_process(void) {
  mica_handle_t p, v;
  mica_status_t s = mica_process_create(mica_rt_job_default(), "exhaust", 7, 0, &p, &v);
  if (s == MICA_OK) {
    keep(p);
    keep(v);
  }
  return s;
}
static mica_status_t make_thread(void) {
  mica_handle_t h;
  mica_status_t s = mica_thread_create(mica_rt_process_self(), "exhaust", 7, 0, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_vmar(void) {
  mica_handle_t h;
  mica_vaddr_t addr;
  mica_status_t s =
      mica_vmar_allocate(mica_rt_vmar_root(), MICA_VM_CAN_MAP_READ, 0, MICA_PAGE_SIZE, &h, &addr);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_duplicate(void) {
  mica_handle_t h;
  mica_status_t s = mica_handle_duplicate(g_event, MICA_RIGHT_SAME_RIGHTS, &h);
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_message(void) {
  mica_status_t s = mica_channel_write(g_channel_w, 0, g_chunk, 64, NULL, 0);
  if (s == MICA_ERR_SHOULD_WAIT) {  // this queue is full: go on with a new channel
    mica_handle_close(g_channel_w);
    keep(g_channel_r);
    s = mica_channel_create(0, &g_channel_w, &g_channel_r);
  }
  return s;
}
static mica_status_t make_packet(void) {
  mica_port_packet_t pkt;
  memset(&pkt, 0, sizeof(pkt));
  pkt.type = MICA_PKT_TYPE_USER;
  mica_status_t s = mica_port_queue(g_port, &pkt);
  if (s == MICA_ERR_SHOULD_WAIT) {  // this port is full: go on with a new one
    keep(g_port);
    s = mica_port_create(0, &g_port);
  }
  return s;
}
static uint64_t g_wait_key;
static mica_status_t make_wait(void) {
  return mica_object_wait_async(g_event, g_port, ++g_wait_key, MICA_EVENT_SIGNALED, 0);
}

typedef struct {
  const char* name;
  make_fn make;
  mica_status_t also;  // another status that ends the call's run, or MICA_OK
} maker_t;

static const maker_t kMakers[] = {
    {"event_create", make_event, MICA_OK},
    {"eventpair_create", make_eventpair, MICA_OK},
    {"channel_create", make_channel, MICA_OK},
    {"port_create", make_port, MICA_OK},
    {"timer_create", make_timer, MICA_OK},
    {"vmo_create", make_vmo, MICA_OK},
    {"vmo_create_child", make_vmo_child, MICA_OK},
    {"job_create", make_job, MICA_OK},
    {"process_create", make_process, MICA_OK},
    {"thread_create", make_thread, MICA_ERR_NO_RESOURCES},  // 64 threads a process
    {"vmar_allocate", make_vmar, MICA_OK},
    {"handle_duplicate", make_duplicate, MICA_OK},
    {"channel_write", make_message, MICA_OK},
    {"port_queue", make_packet, MICA_OK},
    {"object_wait_async", make_wait, MICA_OK},
};

// Step 2: each creating call until it fails; the failure must be NO_MEMORY
// (or `route_also`: NO_RESOURCES once the handle table is full).
int adv_every_call_fails(const char* route, mica_status_t route_also) {
  for (size_t i = 0; i < sizeof(kMakers) / sizeof(kMakers[0]); i++) {
    mica_status_t s = MICA_OK;
    uint32_t made = 0;
    while (made < kTriesPerCall && (s = kMakers[i].make()) == MICA_OK) {
      made++;
    }
    if (s == MICA_OK) {
      return adv_fail("%s: %s succeeded %u times with memory exhausted", route, kMakers[i].name,
                      made);
    }
    if (s != MICA_ERR_NO_MEMORY && s != kMakers[i].also && s != route_also) {
      return adv_fail("%s: %s failed with %d, not NO_MEMORY (after %u successes)", route,
                      kMakers[i].name, s, made);
    }
  }
  return 0;
}

// Gives one 1 MiB VMO back (closing it frees its pages).
static int give_back_one_mib(const char* route) {
  if (g_vmo_count <= g_small_first) {
    return adv_fail("%s: no 1 MiB VMO left to give back", route);
  }
  mica_handle_close(g_vmos[--g_vmo_count]);
  g_vmos[g_vmo_count] = MICA_HANDLE_INVALID;
  return 0;
}

// Step 3's routes: each fills what give_back_one_mib freed, until NO_MEMORY
// (or `also`).
static int fill(const char* route, make_fn make, mica_status_t also) {
  uint32_t made = 0;
  mica_status_t s;
  while ((s = make()) == MICA_OK) {
    if (++made > 4 * kTriesPerCall) {
      return adv_fail("%s: never ran out of memory", route);
    }
  }
  if (s != MICA_ERR_NO_MEMORY && s != also) {
    return adv_fail("%s: failed with %d, not NO_MEMORY, after %u", route, s, made);
  }
  return 0;
}

static mica_handle_t g_thread_process;
static mica_status_t make_foreign_thread(void) {
  mica_handle_t h;
  mica_status_t s = mica_thread_create(g_thread_process, "exhaust", 7, 0, &h);
  if (s == MICA_ERR_NO_RESOURCES) {  // this process has all its threads
    mica_handle_t v;
    s = mica_process_create(mica_rt_job_default(), "threads", 7, 0, &g_thread_process, &v);
    if (s == MICA_OK) {
      keep(g_thread_process);
      keep(v);
      s = mica_thread_create(g_thread_process, "exhaust", 7, 0, &h);
    }
  }
  if (s == MICA_OK)
    keep(h);
  return s;
}
static mica_status_t make_big_message(void) {
  mica_status_t s = mica_channel_write(g_channel_w, 0, g_chunk, 65536, NULL, 0);
  if (s == MICA_ERR_SHOULD_WAIT) {
    mica_handle_close(g_channel_w);
    keep(g_channel_r);
    s = mica_channel_create(0, &g_channel_w, &g_channel_r);
  }
  return s;
}

typedef struct {
  const char* name;
  make_fn make;
  mica_status_t also;  // the route may end at a limit instead, with this
} route_t;

// The handle table may reach its limit before the memory runs out: then
// every creating call must fail with NO_RESOURCES (or NO_MEMORY), the
// object it made destroyed again. A handle table keeps its capacity once
// grown, so that route comes last.
static const route_t kRoutes[] = {
    {"events", make_event, MICA_OK},
    {"channels", make_channel, MICA_OK},
    {"queued messages", make_big_message, MICA_OK},
    {"threads", make_foreign_thread, MICA_OK},
    {"handle table", make_duplicate, MICA_ERR_NO_RESOURCES},  // last: tables never shrink
};

void adv_release_made(void) {
  adv_close_all(g_kept, &g_kept_count);
}

// Deep enough for everything run while exhausted (printf included).
static void touch_stack(void) {
  volatile uint8_t pad[48 * 1024];
  for (size_t i = 0; i < sizeof(pad); i += 512) {
    pad[i] = 0;
  }
}

int adv_makers_setup(void) {
  g_thread_process = MICA_HANDLE_INVALID;
  mica_handle_t v;
  if (mica_event_create(0, &g_event) != MICA_OK || mica_port_create(0, &g_port) != MICA_OK ||
      mica_vmo_create(MICA_PAGE_SIZE, 0, &g_parent_vmo) != MICA_OK ||
      mica_channel_create(0, &g_channel_w, &g_channel_r) != MICA_OK ||
      mica_process_create(mica_rt_job_default(), "threads", 7, 0, &g_thread_process, &v) !=
          MICA_OK) {
    return adv_fail("cannot make the helper objects");
  }
  mica_handle_close(v);
  return 0;
}

int adv_exhaust(void) {
  memset(g_chunk, 0x5a, sizeof(g_chunk));
  memset(g_kept, 0, sizeof(g_kept));
  memset(g_vmos, 0, sizeof(g_vmos));
  touch_stack();
  if (adv_makers_setup() != 0) {
    return 1;
  }
  mica_system_info_basic_t sys;
  if (mica_system_get_info(MICA_SYSTEM_INFO_BASIC, &sys, sizeof(sys)) != MICA_OK) {
    return adv_fail("system_get_info failed");
  }
  // 1. Pages, by both routes.
  if (touch_mappings(sys.memory_bytes / 4) != 0) {
    return 1;
  }
  mica_status_t s = commit_until_full(16u << 20);
  // The last two 16 MiB VMOs (the last one partly committed) are given
  // back and committed again in 1 MiB VMOs (to be given back one by one in
  // step 3).
  for (int i = 0; i < 2 && s == MICA_ERR_NO_MEMORY && g_vmo_count > 0; i++) {
    mica_handle_close(g_vmos[--g_vmo_count]);
  }
  g_small_first = g_vmo_count;
  if (s == MICA_ERR_NO_MEMORY) {
    s = commit_until_full(1u << 20);
  }
  if (s == MICA_ERR_NO_MEMORY) {
    s = commit_until_full(64u << 10);
  }
  if (s == MICA_ERR_NO_MEMORY) {
    s = commit_until_full(MICA_PAGE_SIZE);
  }
  if (s != MICA_ERR_NO_MEMORY) {
    return adv_fail("committing VMO pages ended with %d, not NO_MEMORY", s);
  }
  // Keep the 1 MiB VMOs (to give back one by one) apart from the rest.
  uint32_t one_mib_end = g_small_first;
  for (uint32_t i = g_small_first; i < g_vmo_count; i++) {
    uint64_t size = 0;
    mica_vmo_get_size(g_vmos[i], &size);
    if (size == (1u << 20)) {
      one_mib_end = i + 1;
    }
  }
  uint32_t tail = g_vmo_count;
  g_vmo_count = one_mib_end;
  // 2. While exhausted, by pages.
  if (adv_every_call_fails("pages", MICA_OK) != 0) {
    return 1;
  }
  adv_release_made();
  // 3. Each heap route.
  for (size_t r = 0; r < sizeof(kRoutes) / sizeof(kRoutes[0]); r++) {
    if (give_back_one_mib(kRoutes[r].name) != 0 ||
        fill(kRoutes[r].name, kRoutes[r].make, kRoutes[r].also) != 0 ||
        adv_every_call_fails(kRoutes[r].name, kRoutes[r].also) != 0) {
      return 1;
    }
    adv_release_made();
  }
  // 4. Recovery.
  for (uint32_t i = 0; i < tail; i++) {
    if (g_vmos[i] != MICA_HANDLE_INVALID) {
      mica_handle_close(g_vmos[i]);
    }
  }
  g_vmo_count = 0;
  mica_handle_t a, b;
  if (mica_channel_create(0, &a, &b) != MICA_OK || mica_event_create(0, &g_event) != MICA_OK ||
      mica_vmo_create(16u << 20, 0, &g_parent_vmo) != MICA_OK ||
      mica_vmo_write(g_parent_vmo, g_chunk, 0, kChunk) != MICA_OK) {
    return adv_fail("cannot make objects after giving everything back");
  }
  return 0;
}
