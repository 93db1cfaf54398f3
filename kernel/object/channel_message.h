// Channel messages: the kernel's kernel/object/core Message, with what the
// handles inside it own and where its memory comes from.
//
// Ownership. A handle inside a message is in flight: it holds a handle
// count of its object (taken when a write moved it out of a table, or by
// the kernel for a message it makes), and an endpoint's also counts in its
// in-flight count (channel_gc.h). A message owns them: destroying it with
// handles still inside (its ChannelMessagePtr dropped by any path: a failed
// write, a late reply, an unread queue drained, an error return) releases
// both, so each object reacts as to a closed handle (a channel's peer sees
// PEER_CLOSED). A read moves the handles into a table, leaving the entries
// empty. Destroy messages outside every spin lock (the reactions take
// locks: Dispatcher::RemoveHandleRef).
//
// Memory. A message with a small footprint (the common case of IPC) lives
// in a per-CPU fast block (kmem::AllocFastBlock), any other on the heap.
// A fast block is not charged as heap memory; the channel charges it to
// the writer while the message is queued (ChannelDispatcher::
// ChargeQueuedLocked). Per-call recycling: a thread keeps the block of the
// last bytes-only message it received as its spare (UserThread::
// spare_message_block) and builds its next small bytes-only message in it,
// so a call or a write+read loop takes no block from the cache.
#pragma once

#include "kernel/base/kernel_allocator.h"
#include "kernel/base/memory.h"
#include "kernel/object/core/message_queue.h"
#include "kernel/object/dispatcher.h"

// The release policy of the handles in a message (as above).
struct InFlightHandles {
  static void Release(HandleEntry* handles, uint32_t count);
};

using ChannelMessage = mica::core::Message<HandleEntry, InFlightHandles>;
using ChannelMessagePtr = mica::core::MessagePtr<HandleEntry, InFlightHandles>;
using ChannelMessageList = mica::core::MessageList<HandleEntry, InFlightHandles>;
using ChannelMessageQueue = mica::core::MessageQueue<HandleEntry, InFlightHandles>;

// Where a message of these sizes comes from.
inline const mica::core::Allocator* MessageAllocator(uint32_t num_bytes, uint32_t num_handles) {
  return ChannelMessage::FootprintFor(num_bytes, num_handles) <= kmem::kFastBlockSize
             ? &kmem::kFastBlockAllocator
             : &kmem::kHeapAllocator;
}

// Whether `msg` lives in a fast block (charged while queued).
inline bool InFastBlock(const ChannelMessage* msg) {
  return msg->allocator() == &kmem::kFastBlockAllocator;
}

// A new message of `num_bytes` uninitialised bytes and no handles, in
// *spare (the calling thread's spare block, then taken: *spare becomes
// null) when it holds one and the message fits. kNoMemory.
[[gnu::always_inline]] inline mica::Status NewBytesMessage(uint32_t num_bytes, void** spare,
                                                           ChannelMessagePtr* out) {
  const mica::core::Allocator* alloc = MessageAllocator(num_bytes, 0);
  if (alloc == &kmem::kFastBlockAllocator && *spare != nullptr) {
    *out = ChannelMessage::CreateIn(*spare, alloc, num_bytes, 0);
    *spare = nullptr;
    return mica::Status::kOk;
  }
  auto created = ChannelMessage::Create(alloc, num_bytes, 0);
  if (!created.ok()) {
    return created.status();
  }
  *out = mica::Move(created.value());
  return mica::Status::kOk;
}

// The end of a received message (*msg, left empty): its block becomes the
// thread's spare (*spare) if that is empty and the message allows (a fast
// block, no handles left in it), else the message is destroyed.
[[gnu::always_inline]] inline void RecycleMessage(ChannelMessagePtr* msg, void** spare) {
  if (*spare == nullptr) {
    *spare = msg->TakeBlock(&kmem::kFastBlockAllocator);
  }
  msg->reset();
}
