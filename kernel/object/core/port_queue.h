// Port packet queues.
//
// A port's queue holds fixed-size packets (PortPacket, 48 bytes) in FIFO
// order. Each packet lives in a PortSlot, which comes from one of two places:
//
//  - Observer slots: an object waiting for signals on a port's behalf (an
//    outstanding wait_async, an interrupt or timer bound to the port) embeds
//    one PortSlot. Delivering its packet links that slot: no allocation, no
//    failure, no bound needed (the slots are already paid for by their
//    observers). Delivering again while the slot is still queued does not
//    queue it twice: the caller updates slot->packet in place (coalescing,
//    e.g. OR-ing in newly observed signals).
//  - User packets (port_queue): allocated one by one through an Allocator
//    by UserPacket::Create before the port's lock is taken, and counted
//    against the queue's user-packet bound: QueueUser fails with kShouldWait
//    when max_user_packets() are queued, leaving the packet with the caller.
//
// Pop hands back the oldest slot; a user slot is then the caller's to free
// (UserPacket::Adopt) after releasing the lock, an observer slot goes back to
// its observer. CancelByKey/CancelIf unlink every matching slot onto a list
// the caller processes the same way.
//
// Locking: none inside. The port's lock protects its PortQueue and every
// queued slot's packet and links.
//
// Complexity: QueueObserver, QueueUser, Pop, Remove O(1); CancelByKey and
// CancelIf O(count()).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"
#include "kernel/lib/list.h"
#include "kernel/lib/result.h"
#include "kernel/lib/status.h"
#include "kernel/object/core/allocator.h"

namespace mica::core {

// The kernel's form of a port packet: the port_wait ABI struct is built
// from it. `key` is the one field the queue interprets (CancelByKey).
struct PortPacket {
  uint64_t key;
  uint32_t type;
  int32_t status;
  uint8_t payload[32];
};
static_assert(sizeof(PortPacket) == 48, "PortPacket is 48 bytes");

class PortSlot {
 public:
  // An observer slot (embed it in the observer).
  PortSlot() = default;
  PortSlot(const PortSlot&) = delete;
  PortSlot& operator=(const PortSlot&) = delete;
  ~PortSlot() { MICA_DEBUG_ASSERT_MSG(!queued(), "a queued port slot is being destroyed"); }

  bool queued() const { return port_node.InContainer(); }
  bool is_user() const { return alloc_ != nullptr; }

  // Written by the owner; while queued, only under the port's lock.
  PortPacket packet{};
  // Links the slot into a PortQueue or a PortSlotList; owned by them.
  ListNode port_node;

 private:
  friend class UserPacket;
  const Allocator* alloc_ = nullptr;  // the allocator of a user packet
};

using PortSlotList = List<PortSlot, &PortSlot::port_node>;

// Owns one user packet (a PortSlot from an Allocator). Move-only.
class UserPacket {
 public:
  // A user packet holding `packet`. Error: kNoMemory.
  static Result<UserPacket> Create(const Allocator* alloc, const PortPacket& packet);
  // Takes ownership of a user slot that came out of a PortQueue.
  static UserPacket Adopt(PortSlot* slot) {
    MICA_ASSERT(slot == nullptr || (slot->is_user() && !slot->queued()));
    return UserPacket(slot);
  }

  UserPacket() = default;
  UserPacket(UserPacket&& o) noexcept : slot_(o.release()) {}
  UserPacket& operator=(UserPacket&& o) noexcept;
  UserPacket(const UserPacket&) = delete;
  UserPacket& operator=(const UserPacket&) = delete;
  ~UserPacket() { reset(); }

  PortSlot* get() const { return slot_; }
  PortSlot* operator->() const { return slot_; }
  explicit operator bool() const { return slot_ != nullptr; }
  [[nodiscard]] PortSlot* release() {
    PortSlot* s = slot_;
    slot_ = nullptr;
    return s;
  }
  // Frees the packet.
  void reset();

 private:
  explicit UserPacket(PortSlot* slot) : slot_(slot) {}
  PortSlot* slot_ = nullptr;
};

class PortQueue {
 public:
  static constexpr uint32_t kDefaultMaxUserPackets = 1024;

  // `max_user_packets` >= 1.
  explicit PortQueue(uint32_t max_user_packets = kDefaultMaxUserPackets);
  PortQueue(const PortQueue&) = delete;
  PortQueue& operator=(const PortQueue&) = delete;
  // Unlinks the observer slots still queued and frees the user packets.
  ~PortQueue();

  bool empty() const { return queue_.empty(); }
  size_t count() const { return queue_.size(); }
  size_t user_count() const { return user_count_; }
  uint32_t max_user_packets() const { return max_user_packets_; }

  // Queues an observer slot at the back. Returns false (and changes
  // nothing) if it is already queued.
  bool QueueObserver(PortSlot* slot);

  // Queues *packet at the back. On kOk the queue owns it (*packet is
  // empty); on kShouldWait (max_user_packets() user packets are queued)
  // *packet is untouched.
  Status QueueUser(UserPacket* packet);

  // Unlinks and returns the oldest slot, or nullptr if the queue is empty.
  // A user slot is now the caller's (UserPacket::Adopt it, free it after
  // unlocking).
  PortSlot* Pop();
  // The oldest slot without unlinking it, or nullptr.
  PortSlot* front() const { return queue_.front(); }

  // Unlinks `slot` if it is queued (an observer cancelling its wait).
  // Returns whether it was. `slot` must be unlinked or on this queue. A
  // user slot removed this way is the caller's.
  bool Remove(PortSlot* slot);

  // Unlinks every slot whose packet.key == key onto the back of `removed`
  // (user slots there are the caller's). Returns how many.
  size_t CancelByKey(uint64_t key, PortSlotList* removed);

  // Unlinks every slot for which `pred(const PortSlot&)` is true onto the
  // back of `removed`. Returns how many.
  template <typename Pred>
  size_t CancelIf(Pred&& pred, PortSlotList* removed) {
    size_t n = 0;
    for (auto it = queue_.begin(); it != queue_.end();) {
      PortSlot* slot = &*it;
      if (pred(static_cast<const PortSlot&>(*slot))) {
        it = queue_.erase(it);
        Unlinked(slot);
        removed->push_back(slot);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  // Frees every user packet on `list` and unlinks the observer slots (for
  // callers with nothing to tell the observers). Call without the port's
  // lock.
  static void ReleaseAll(PortSlotList* list);

 private:
  void Unlinked(PortSlot* slot) {
    if (slot->is_user()) {
      --user_count_;
    }
  }

  const uint32_t max_user_packets_;
  PortSlotList queue_;
  size_t user_count_ = 0;
};

}  // namespace mica::core
