// sbrk() for picolibc's malloc: one contiguous heap per process.
//
// The heap is a demand-paged VMO of kHeapReserve bytes mapped read-write at
// a random address of the root VMAR when malloc first needs memory: the
// kernel commits a page when it is first touched, so the reservation costs
// only address space. sbrk() then only moves the break inside it.
//
// A process started without a root VMAR handle (nothing in its bootstrap
// message), or on a kernel that refuses the VMO or the mapping, gets the
// fallback heap instead: kFallbackHeap bytes in .bss. That heap works the
// same way, only smaller; the choice is made once, on the first call.
//
// picolibc calls sbrk() with its malloc lock held; the mutex here also
// makes direct calls from several threads safe.
#include <errno.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define kHeapReserve ((size_t)256 * 1024 * 1024)
#define kFallbackHeap ((size_t)1024 * 1024)

static _Alignas(16) char fallback_heap[kFallbackHeap];

static mica_rt_mutex_t heap_lock = MICA_RT_MUTEX_INIT;
static char* heap_start;  // NULL until the first sbrk()
static size_t heap_size;
static size_t heap_used;

// Maps the VMO heap; returns NULL if the kernel or the process cannot.
static char* map_heap(void) {
  mica_handle_t vmar = mica_rt_vmar_root();
  if (vmar == MICA_HANDLE_INVALID) {
    return NULL;
  }
  mica_handle_t vmo = MICA_HANDLE_INVALID;
  if (mica_vmo_create(kHeapReserve, 0, &vmo) != MICA_OK) {
    return NULL;
  }
  mica_vaddr_t addr = 0;
  mica_status_t status =
      mica_vmar_map(vmar, MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo, 0, kHeapReserve, &addr);
  // The mapping keeps the VMO alive; the handle is no longer needed.
  mica_handle_close(vmo);
  return status == MICA_OK ? (char*)(uintptr_t)addr : NULL;
}

void* sbrk(ptrdiff_t increment) {
  mica_rt_mutex_lock(&heap_lock);
  if (heap_start == NULL) {
    heap_start = map_heap();
    heap_size = kHeapReserve;
    if (heap_start == NULL) {
      heap_start = fallback_heap;
      heap_size = kFallbackHeap;
    }
  }
  void* result = (void*)-1;
  if (increment >= 0 ? (size_t)increment <= heap_size - heap_used
                     : (size_t)-increment <= heap_used) {
    result = heap_start + heap_used;
    heap_used += (size_t)increment;
  } else {
    errno = ENOMEM;
  }
  mica_rt_mutex_unlock(&heap_lock);
  return result;
}
