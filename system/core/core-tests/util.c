#include "system/core/core-tests/util.h"

#include "system/core/core-tests/test.h"

#include <string.h>

#define CT_PAGE ((uintptr_t)MICA_PAGE_SIZE)

// From user.ld: the end of the image and the start of the RELRO segment.
extern char _end[];
extern char __relro_start[];

// A page of its own in .rodata (mapped read-only).
static const uint8_t rodata_page[MICA_PAGE_SIZE] __attribute__((aligned(MICA_PAGE_SIZE))) = {1};

uint8_t ct_big_buffer[MICA_CHANNEL_MAX_MSG_BYTES + 16];
uint8_t ct_big_buffer2[MICA_CHANNEL_MAX_MSG_BYTES + 16];

static uintptr_t hide(uintptr_t p) {
  // Keep the compiler from reasoning about where linker symbols point.
  __asm__("" : "+r"(p));
  return p;
}

uintptr_t ct_unmapped_addr(void) {
  return (hide((uintptr_t)_end) + CT_PAGE - 1) & ~(CT_PAGE - 1);
}

uintptr_t ct_last_bytes_of_image(size_t size) {
  return ct_unmapped_addr() - size;
}

uintptr_t ct_map_page_before_hole(void) {
  // Two pages of a VMO mapped together, then the second unmapped. The
  // hole stays a hole while the caller maps nothing else of its own.
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  mica_status_t s = mica_vmo_create(2 * CT_PAGE, 0, &vmo);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create", s);
    return 0;
  }
  mica_vaddr_t page = 0;
  s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0,
                    2 * CT_PAGE, &page);
  (void)mica_handle_close(vmo);  // the mapping keeps the VMO
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_map", s);
    return 0;
  }
  s = mica_vmar_unmap(mica_rt_vmar_root(), page + CT_PAGE, CT_PAGE);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_unmap", s);
    (void)mica_vmar_unmap(mica_rt_vmar_root(), page, 2 * CT_PAGE);
    return 0;
  }
  return (uintptr_t)page;
}

void ct_unmap_page_before_hole(uintptr_t page) {
  (void)mica_vmar_unmap(mica_rt_vmar_root(), page, CT_PAGE);
}

// Filled in before main(): the image's addresses are only known at run time.
ct_bad_ptr_t ct_bad_ptrs[CT_BAD_PTR_COUNT];
ct_bad_ptr_t ct_readonly_ptrs[CT_READONLY_PTR_COUNT];

__attribute__((constructor)) static void init_bad_ptrs(void) {
  ct_bad_ptrs[0] = (ct_bad_ptr_t){"null", 0};
  // The lowest pages are never mapped (NULL dereferences must fault).
  ct_bad_ptrs[1] = (ct_bad_ptr_t){"low-page", 0x1000};
  ct_bad_ptrs[2] = (ct_bad_ptr_t){"after-image", ct_unmapped_addr()};
  // The kernel's half of the address space (TTBR1).
  ct_bad_ptrs[3] = (ct_bad_ptr_t){"kernel", 0xffffff8000001000ull};
  ct_bad_ptrs[4] = (ct_bad_ptr_t){"kernel-top", 0xfffffffffffff000ull};
  // Above any user virtual address size AArch64 supports (52 bits).
  ct_bad_ptrs[5] = (ct_bad_ptr_t){"non-canonical", 0x0010000000000000ull};
  ct_bad_ptrs[6] = (ct_bad_ptr_t){"wraps", 0xfffffffffffffff8ull};
  ct_readonly_ptrs[0] = (ct_bad_ptr_t){"rodata", hide((uintptr_t)rodata_page)};
  ct_readonly_ptrs[1] = (ct_bad_ptr_t){"relro", hide((uintptr_t)__relro_start)};
}

mica_handle_t ct_event(void) {
  mica_handle_t h = MICA_HANDLE_INVALID;
  mica_status_t s = mica_event_create(0, &h);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_event_create", s);
    return MICA_HANDLE_INVALID;
  }
  return h;
}

void ct_close_on_return(mica_handle_t* h) {
  if (*h != MICA_HANDLE_INVALID) {
    (void)mica_handle_close(*h);
  }
}

void ct_kill_on_return(mica_handle_t* h) {
  if (*h != MICA_HANDLE_INVALID) {
    (void)mica_task_kill(*h);
    (void)mica_handle_close(*h);
  }
}

void ct_channel(mica_handle_t* a, mica_handle_t* b) {
  *a = *b = MICA_HANDLE_INVALID;
  mica_status_t s = mica_channel_create(0, a, b);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_channel_create", s);
    *a = *b = MICA_HANDLE_INVALID;
  }
}

void ct_eventpair(mica_handle_t* a, mica_handle_t* b) {
  *a = *b = MICA_HANDLE_INVALID;
  mica_status_t s = mica_eventpair_create(0, a, b);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_eventpair_create", s);
    *a = *b = MICA_HANDLE_INVALID;
  }
}

mica_handle_t ct_dup(mica_handle_t h, mica_rights_t rights) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  mica_status_t s = mica_handle_duplicate(h, rights, &out);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_handle_duplicate", s);
    return MICA_HANDLE_INVALID;
  }
  return out;
}

mica_info_handle_basic_t ct_basic(mica_handle_t h) {
  mica_info_handle_basic_t info;
  if (mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), NULL, NULL) != MICA_OK) {
    memset(&info, 0, sizeof(info));
  }
  return info;
}

bool ct_valid(mica_handle_t h) {
  return mica_object_get_info(h, MICA_INFO_HANDLE_VALID, NULL, 0, NULL, NULL) == MICA_OK;
}

mica_signals_t ct_signals(mica_handle_t h) {
  mica_signals_t observed = 0;
  (void)mica_object_wait_one(h, 0, MICA_TIME_INFINITE_PAST, &observed);
  return observed;
}

void ct_fill(void* buf, size_t count, uint32_t seed) {
  uint8_t* p = buf;
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < count; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (uint8_t)(x >> 16);
  }
}

bool ct_check_fill(const void* buf, size_t count, uint32_t seed) {
  const uint8_t* p = buf;
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < count; i++) {
    x = x * 1103515245u + 12345u;
    if (p[i] != (uint8_t)(x >> 16)) {
      return false;
    }
  }
  return true;
}

void ct_fill_msg(void* buf, size_t count, uint32_t seed) {
  ct_fill(buf, count, seed);
  if (count >= 4) {
    ((uint8_t*)buf)[3] &= 0x7f;  // little endian: bit 31 of the txid
  }
}

mica_time_t ct_now(void) {
  mica_time_t now = 0;
  (void)mica_clock_get_monotonic(&now);
  return now;
}

static bool kmem_idle_available(uint64_t* out) {
  for (int i = 0; i < 5000; i++) {
    mica_info_kmem_stats_t k;
    if (mica_object_get_info(mica_rt_root_resource(), MICA_INFO_KMEM_STATS, &k, sizeof(k), NULL,
                             NULL) != MICA_OK) {
      return false;
    }
    if (k.unreaped_processes == 0 && k.collector_busy == 0) {
      *out = k.free_bytes + k.heap_free_bytes;
      return true;
    }
    mica_nanosleep(ct_now() + 1000 * 1000);
  }
  return false;
}

uint64_t ct_quiet_available(void) {
  uint64_t last = 0;
  if (!kmem_idle_available(&last)) {
    return 0;
  }
  for (int i = 0, same = 0; i < 200 && same < 8; i++) {
    mica_nanosleep(ct_now() + 25 * 1000 * 1000);
    uint64_t now = 0;
    if (!kmem_idle_available(&now)) {
      return 0;
    }
    same = now == last ? same + 1 : 0;
    last = now;
  }
  return last;
}

uint64_t ct_settled_available(uint64_t want) {
  uint64_t got = 0;
  for (int i = 0; i < 200; i++) {
    if (!kmem_idle_available(&got) || got == want) {
      break;
    }
    mica_nanosleep(ct_now() + 25 * 1000 * 1000);
  }
  return got;
}

void ct_expect_no_leak(void (*fn)(void), int rounds) {
  fn();
  uint64_t before = ct_quiet_available();
  ASSERT_NE(before, 0u);
  for (int i = 0; i < rounds && !ct_failed(); i++) {
    fn();
  }
  EXPECT_EQ(ct_settled_available(before), before);
}
