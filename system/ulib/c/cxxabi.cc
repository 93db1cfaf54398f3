// The pieces of the C++ runtime that Mica programs need without libc++ or
// libc++abi: operator new/delete over malloc, static-local guards, and
// __cxa_pure_virtual. Programs are built without exceptions and RTTI, so a
// failed allocation in operator new (which may not return null) aborts.
// __cxa_atexit comes from picolibc, __dso_handle from libc_start.c.
#include <mica/rt/thread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

namespace std {
struct nothrow_t {
  explicit nothrow_t() = default;
};
extern const nothrow_t nothrow;
enum class align_val_t : size_t {};
}  // namespace std

const std::nothrow_t std::nothrow{};

namespace {

void* Allocate(size_t size) {
  void* p = malloc(size == 0 ? 1 : size);
  if (p == nullptr) {
    abort();
  }
  return p;
}

void* AllocateAligned(size_t size, std::align_val_t align) {
  size_t a = static_cast<size_t>(align);
  if (a < sizeof(void*)) {
    a = sizeof(void*);
  }
  // aligned_alloc wants a size that is a multiple of the alignment.
  size_t rounded = (size + a - 1) & ~(a - 1);
  if (rounded < size) {
    return nullptr;
  }
  return aligned_alloc(a, rounded == 0 ? a : rounded);
}

}  // namespace

void* operator new(size_t size) {
  return Allocate(size);
}
void* operator new[](size_t size) {
  return Allocate(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return malloc(size == 0 ? 1 : size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return malloc(size == 0 ? 1 : size);
}
void* operator new(size_t size, std::align_val_t align) {
  void* p = AllocateAligned(size, align);
  if (p == nullptr) {
    abort();
  }
  return p;
}
void* operator new[](size_t size, std::align_val_t align) {
  return operator new(size, align);
}
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}
void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}

void operator delete(void* p) noexcept {
  free(p);
}
void operator delete[](void* p) noexcept {
  free(p);
}
void operator delete(void* p, size_t) noexcept {
  free(p);
}
void operator delete[](void* p, size_t) noexcept {
  free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  free(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  free(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  free(p);
}

// Guards of function-local statics (Itanium C++ ABI §3.3.2). The first byte
// of the 64-bit guard is "initialised" (what the compiler's inline check
// reads, with acquire ordering); byte 1 is "in progress". One global
// recursive-safe scheme: initialisers run under a mutex, and an initialiser
// that recursively needs another static of its own thread would deadlock,
// which the standard makes undefined anyway.
namespace {
mica_rt_mutex_t guard_mutex = MICA_RT_MUTEX_INIT;
}

extern "C" int __cxa_guard_acquire(uint64_t* guard) {
  auto* bytes = reinterpret_cast<uint8_t*>(guard);
  if (__atomic_load_n(&bytes[0], __ATOMIC_ACQUIRE) != 0) {
    return 0;
  }
  mica_rt_mutex_lock(&guard_mutex);
  if (bytes[0] != 0) {
    mica_rt_mutex_unlock(&guard_mutex);
    return 0;
  }
  bytes[1] = 1;
  return 1;  // the caller runs the initialiser, then calls release
}

extern "C" void __cxa_guard_release(uint64_t* guard) {
  auto* bytes = reinterpret_cast<uint8_t*>(guard);
  bytes[1] = 0;
  __atomic_store_n(&bytes[0], 1, __ATOMIC_RELEASE);
  mica_rt_mutex_unlock(&guard_mutex);
}

extern "C" void __cxa_guard_abort(uint64_t* guard) {
  reinterpret_cast<uint8_t*>(guard)[1] = 0;
  mica_rt_mutex_unlock(&guard_mutex);
}

extern "C" void __cxa_pure_virtual() {
  abort();
}
