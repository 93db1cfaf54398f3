#include "kernel/object/port.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/timer.h"

namespace {

// The observer callback: runs inside the source's UpdateSignals/AddObserver,
// which hold the source's lock (the analysis cannot see through the
// function pointer).
bool FireAsyncWait(mica::core::SignalObserver* self,
                   mica::core::Signals signals) NO_THREAD_SAFETY_ANALYSIS {
  auto* w = static_cast<AsyncWait*>(self);
  w->source->AsyncWaitFiredLocked(w);
  w->port->QueueSignal(w, signals);
  return true;  // one-shot
}

}  // namespace

AsyncWait::AsyncWait(Dispatcher* src, mica_signals_t trigger, mica::RefPtr<PortDispatcher> p,
                     uint64_t k)
    : SignalObserver(trigger, FireAsyncWait),
      source(src),
      port(mica::Move(p)),
      key(k),
      source_koid(src->koid()) {
  slot.wait = this;
}

namespace {

// Frees a packet node after it left the queue: user packets are plain heap
// nodes; signal packets end their AsyncWait (dropping its port reference).
void ReleaseNode(PortPacketNode* n) {
  if (n->bound) {
    return;  // its binding owns it
  }
  if (n->wait == nullptr) {
    delete n;
    return;
  }
  delete n->wait;
}

}  // namespace

PortDispatcher::~PortDispatcher() {
  // Only user packets can remain: a queued signal packet holds a reference
  // to the port, so the port outlives it.
  while (PortPacketNode* n = queue_.pop_front()) {
    ReleaseNode(n);
  }
}

bool PortDispatcher::Empty(const void* self) NO_THREAD_SAFETY_ANALYSIS {
  // Read without the queue lock inside BlockWhile (under the scheduler
  // lock): a racing queue either is seen or wakes the waiter after.
  return static_cast<const PortDispatcher*>(self)->queue_.empty();
}

mica::Status PortDispatcher::QueueUser(const mica_port_packet_t& packet) {
  auto* n = new PortPacketNode();
  if (n == nullptr) {
    return mica::Status::kNoMemory;
  }
  n->packet = packet;
  bool full;
  {
    IrqGuard g(queue_lock_);
    full = user_packets_ >= MICA_PORT_MAX_USER_PACKETS;
    if (!full) {
      user_packets_++;
      queue_.push_back(n);
    }
  }
  if (full) {
    delete n;
    return mica::Status::kShouldWait;
  }
  waiters_.WakeOne();
  return mica::Status::kOk;
}

void PortDispatcher::QueueSignal(AsyncWait* wait, mica_signals_t observed) {
  wait->slot.packet.key = wait->key;
  wait->slot.packet.type = MICA_PKT_TYPE_SIGNAL;
  wait->slot.packet.status = MICA_OK;
  wait->slot.packet.signal.trigger = wait->trigger_mask();
  wait->slot.packet.signal.observed = observed;
  wait->slot.packet.signal.count = 1;
  wait->slot.packet.signal.timestamp = static_cast<mica_time_t>(timer::NowNs());
  {
    IrqGuard g(queue_lock_);
    queue_.push_back(&wait->slot);
  }
  waiters_.WakeOne();
}

mica::Status PortDispatcher::Wait(uint64_t deadline, mica_port_packet_t* out) {
  for (;;) {
    PortPacketNode* n = nullptr;
    {
      IrqGuard g(queue_lock_);
      n = queue_.pop_front();
      if (n != nullptr && n->bound) {
        // Copied under the lock: the binding may refill it once dequeued.
        *out = n->packet;
        n->queued = false;
        return mica::Status::kOk;
      }
      if (n != nullptr && n->wait == nullptr) {
        user_packets_--;
      }
    }
    if (n != nullptr) {
      *out = n->packet;
      ReleaseNode(n);
      return mica::Status::kOk;
    }
    mica::Status s = waiters_.BlockWhile(Empty, this, deadline);
    if (s != mica::Status::kOk) {
      return s;
    }
  }
}

void PortDispatcher::QueueBound(PortPacketNode* slot, const mica_port_packet_t& packet) {
  {
    IrqGuard g(queue_lock_);
    slot->packet = packet;
    if (slot->queued) {
      return;  // already queued: updated in place, the waiter will see it
    }
    slot->queued = true;
    queue_.push_back(slot);
  }
  waiters_.WakeOne();
}

void PortDispatcher::RemoveBound(PortPacketNode* slot) {
  IrqGuard g(queue_lock_);
  if (slot->queued) {
    queue_.remove(slot);
    slot->queued = false;
  }
}

size_t PortDispatcher::CancelQueued(uint64_t koid, uint64_t key) {
  mica::List<PortPacketNode, &PortPacketNode::node> removed;
  size_t count = 0;
  {
    IrqGuard g(queue_lock_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      PortPacketNode* n = &*it;
      ++it;
      AsyncWait* w = n->wait;
      if (w != nullptr && w->source_koid == koid && w->key == key) {
        queue_.remove(n);
        removed.push_back(n);
        count++;
      }
    }
  }
  while (PortPacketNode* n = removed.pop_front()) {
    ReleaseNode(n);
  }
  return count;
}

void PortDispatcher::OnZeroHandles() {
  // Nobody can wait on the port any more: drop its queued packets (signal
  // packets hold references to the port; this breaks those cycles).
  mica::List<PortPacketNode, &PortPacketNode::node> removed;
  {
    IrqGuard g(queue_lock_);
    while (PortPacketNode* n = queue_.pop_front()) {
      if (n->bound) {
        n->queued = false;  // stays with its binding
        continue;
      }
      removed.push_back(n);
    }
    user_packets_ = 0;
  }
  while (PortPacketNode* n = removed.pop_front()) {
    ReleaseNode(n);
  }
}
