// The kernel's memory (memory.h) as mica::core::Allocator values, for the
// containers of kernel/object/core (handle tables, channel messages): the
// heap, and the per-CPU fast blocks. Which one a channel message uses is
// the message's own policy (kernel/object/channel_message.h).
#pragma once

#include "kernel/object/core/allocator.h"

namespace kmem {

// MallocAligned / Free: charged to the current thread's account.
extern const mica::core::Allocator kHeapAllocator;
// AllocFastBlock / FreeFastBlock: requests of at most kFastBlockSize bytes
// aligned to at most 16; not charged (memory.h).
extern const mica::core::Allocator kFastBlockAllocator;

}  // namespace kmem

// The kernel heap as an allocator (handle tables, kernel-made messages).
inline const mica::core::Allocator* KernelAllocator() {
  return &kmem::kHeapAllocator;
}
