// Kernel object ids (koids).
//
// Every kernel object gets a 64-bit id when it is created. Ids increase
// monotonically and are never reused: at one id per nanosecond the counter
// would take over 500 years to wrap, and wrapping is asserted anyway.
//
// Reserved values:
//   0                      kInvalidKoid: names no object (MICA_KOID_INVALID).
//   1 .. kFirstKoid - 1    fixed ids for things that exist before any object
//                          is allocated (the kernel itself, say); never
//                          handed out by an allocator.
//   kFirstKoid (1024) ..   allocated ids.
//
// KoidAllocator is lock-free (one relaxed atomic fetch-add): ids need only
// be unique, not ordered with respect to other memory.
#pragma once

#include <stdint.h>

#include "kernel/lib/atomic.h"

namespace mica::core {

using Koid = uint64_t;

inline constexpr Koid kInvalidKoid = 0;
inline constexpr Koid kFirstKoid = 1024;

class KoidAllocator {
 public:
  // `first` is the first id handed out; it must be >= 1 (0 is invalid).
  constexpr explicit KoidAllocator(Koid first = kFirstKoid) : next_(first) {}
  KoidAllocator(const KoidAllocator&) = delete;
  KoidAllocator& operator=(const KoidAllocator&) = delete;

  // A fresh id, never returned before by this allocator. Thread safe.
  Koid Allocate();
  // The id the next Allocate() would return if nobody else allocates first
  // (for tests and statistics).
  Koid PeekNext() const { return next_.load(mica::kRelaxed); }

 private:
  mica::Atomic<Koid> next_;
};

// The kernel-wide allocator every kernel object takes its koid from.
Koid AllocateKoid();

}  // namespace mica::core
