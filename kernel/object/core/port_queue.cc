#include "kernel/object/core/port_queue.h"

#include <new>

#include "kernel/lib/utility.h"

namespace mica::core {

Result<UserPacket> UserPacket::Create(const Allocator* alloc, const PortPacket& packet) {
  void* mem = alloc->Alloc(sizeof(PortSlot), alignof(PortSlot));
  if (mem == nullptr) {
    return Status::kNoMemory;
  }
  auto* slot = new (mem) PortSlot();
  slot->alloc_ = alloc;
  slot->packet = packet;
  return UserPacket(slot);
}

UserPacket& UserPacket::operator=(UserPacket&& o) noexcept {
  if (this != &o) {
    reset();
    slot_ = o.release();
  }
  return *this;
}

void UserPacket::reset() {
  PortSlot* s = release();
  if (s != nullptr) {
    const Allocator* alloc = s->alloc_;
    s->~PortSlot();
    alloc->Free(s);
  }
}

PortQueue::PortQueue(uint32_t max_user_packets) : max_user_packets_(max_user_packets) {
  MICA_ASSERT(max_user_packets >= 1);
}

PortQueue::~PortQueue() {
  PortSlotList all;
  CancelIf([](const PortSlot&) { return true; }, &all);
  ReleaseAll(&all);
}

bool PortQueue::QueueObserver(PortSlot* slot) {
  MICA_ASSERT(!slot->is_user());
  if (slot->queued()) {
    return false;
  }
  queue_.push_back(slot);
  return true;
}

Status PortQueue::QueueUser(UserPacket* packet) {
  MICA_ASSERT(*packet);
  if (user_count_ >= max_user_packets_) {
    return Status::kShouldWait;
  }
  queue_.push_back(packet->release());
  ++user_count_;
  return Status::kOk;
}

PortSlot* PortQueue::Pop() {
  PortSlot* slot = queue_.pop_front();
  if (slot != nullptr) {
    Unlinked(slot);
  }
  return slot;
}

bool PortQueue::Remove(PortSlot* slot) {
  if (!slot->queued()) {
    return false;
  }
  queue_.remove(slot);
  Unlinked(slot);
  return true;
}

size_t PortQueue::CancelByKey(uint64_t key, PortSlotList* removed) {
  return CancelIf([key](const PortSlot& s) { return s.packet.key == key; }, removed);
}

void PortQueue::ReleaseAll(PortSlotList* list) {
  while (PortSlot* slot = list->pop_front()) {
    if (slot->is_user()) {
      UserPacket::Adopt(slot).reset();
    }
  }
}

}  // namespace mica::core
