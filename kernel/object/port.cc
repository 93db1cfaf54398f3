#include "kernel/object/port.h"

#include "kernel/object/channel.h"

#include <string.h>
#include <new>

#include "kernel/arch/arm64/timer.h"

namespace {

// The observer callback: runs inside the source's UpdateSignals/AddObserver,
// which hold the source's lock (the analysis cannot see through the
// function pointer).
bool FireAsyncWait(mica::core::SignalObserver* self, mica::core::Signals signals)
    NO_THREAD_SAFETY_ANALYSIS {  // the source's lock, held by the caller (above)
  auto* w = static_cast<AsyncWait*>(self);
  if (w->repeating()) {
    if (w->port->QueueRepeating(w, signals)) {
      return false;  // stays registered for the next edge
    }
    // Nobody can read the port any more: the registration ends here (it
    // would otherwise keep the port alive as long as the source lives).
    w->source->AsyncWaitFiredLocked(w);
    delete w;  // may free the port: touch nothing after
    return true;
  }
  w->source->AsyncWaitFiredLocked(w);
  w->port->QueueSignal(w, signals);
  return true;  // one-shot
}

}  // namespace

AsyncWait::AsyncWait(Dispatcher* src, mica_signals_t trigger, mica::RefPtr<PortDispatcher> p,
                     uint64_t k, bool repeating)
    : HandleObserver(trigger, FireAsyncWait, nullptr),
      source(src),
      port(mica::Move(p)),
      key(k),
      source_koid(src->koid()) {
  slot.wait = this;
  slot.bound = repeating;
  set_edge(repeating);
}

AsyncWait::~AsyncWait() {
  if (slot.bound) {
    port->RemoveBound(&slot);
  }
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

bool PortDispatcher::EmptyAndNotCanceled(const void* waiter)
    NO_THREAD_SAFETY_ANALYSIS {  // an unlocked peek (below)
  // Read without the queue lock inside BlockWhile (under the scheduler
  // lock): a racing queue or cancel either is seen or wakes the waiter after.
  auto* w = static_cast<const Waiter*>(waiter);
  return w->port->queue_.empty() && !w->canceled.load(mica::kRelaxed) &&
         !w->handed.load(mica::kRelaxed);
}

void PortDispatcher::SyncReadableLocked() {
  if (queue_.empty()) {
    UpdateSignalsLocked(MICA_PORT_READABLE, 0);
  } else {
    UpdateSignalsLocked(0, MICA_PORT_READABLE);
  }
}

mica::Status PortDispatcher::QueueUser(const mica_port_packet_t& packet) {
  mica::AllocChecker ac_n;
  auto* n = new (ac_n) PortPacketNode();
  if (!ac_n.check()) {
    return mica::Status::kNoMemory;
  }
  n->packet = packet;
  bool full;
  {
    IrqGuard sg(lock_);
    IrqGuard g(queue_lock_);
    full = user_packets_ >= MICA_PORT_MAX_USER_PACKETS;
    if (!full) {
      user_packets_++;
      queue_.push_back(n);
      SyncReadableLocked();
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
  bool dead;
  {
    IrqGuard sg(lock_);
    IrqGuard g(queue_lock_);
    dead = dead_;
    if (!dead) {
      queue_.push_back(&wait->slot);
      SyncReadableLocked();
      // Woken before the locks are dropped: once they are, a port_wait on
      // another CPU may take the packet and end the wait, dropping the
      // port reference it held, which may be the port's last one (its
      // handles closed meanwhile). Nothing here may touch the port after.
      waiters_.WakeOne();
    }
  }
  if (dead) {
    // Nobody can read this port any more: drop the packet instead of
    // queuing it (a queued packet would keep the port alive for ever). The
    // wait is off every list; this may free the port, so touch nothing
    // after.
    delete wait;
  }
}

bool PortDispatcher::QueueRepeating(AsyncWait* wait, mica_signals_t observed) {
  PortPacketNode* slot = &wait->slot;
  IrqGuard sg(lock_);
  IrqGuard g(queue_lock_);
  if (dead_) {
    return false;
  }
  slot->packet.signal.observed = observed;
  if (slot->queued) {
    slot->packet.signal.count++;  // one more edge before port_wait took it
    return true;
  }
  slot->packet.key = wait->key;
  slot->packet.type = MICA_PKT_TYPE_SIGNAL;
  slot->packet.status = MICA_OK;
  slot->packet.signal.trigger = wait->trigger_mask();
  slot->packet.signal.count = 1;
  slot->packet.signal.timestamp = static_cast<mica_time_t>(timer::NowNs());
  slot->queued = true;
  queue_.push_back(slot);
  SyncReadableLocked();
  waiters_.WakeOne();  // under the locks, as in QueueSignal
  return true;
}

mica::Status PortDispatcher::Wait(uint64_t deadline, mica_port_packet_t* out, WaitThrough through) {
  Waiter me;
  me.port = this;
  me.through = through;
  return WaitLoop(&me, mica::Status::kOk, deadline, out, nullptr);
}

mica::Status PortDispatcher::WaitLoop(Waiter* me, mica::Status s, uint64_t deadline,
                                      mica_port_packet_t* out, ReadSource* source) {
  for (;;) {
    if (me->accepts) {
      // port_reply_wait: a writer may have handed a message over
      // (HandMessage, which took `me` off waiting_): it is this call's
      // result whatever else happened meanwhile (a timeout, a cancel).
      // Only the queue lock guards it (no signal changes).
      IrqGuard g(queue_lock_);
      if (me->handed.load(mica::kRelaxed)) {
        *out = me->packet;
        source->handed = true;
        source->msg = mica::Move(me->msg);
        source->from = mica::Move(me->from);
        return mica::Status::kOk;
      }
    }
    PortPacketNode* n = nullptr;
    {
      IrqGuard sg(lock_);
      IrqGuard g(queue_lock_);
      if (me->node.InContainer()) {
        waiting_.remove(me);
      }
      if (me->handed.load(mica::kRelaxed)) {
        // Handed over since the look above.
        *out = me->packet;
        source->handed = true;
        source->msg = mica::Move(me->msg);
        source->from = mica::Move(me->from);
        return mica::Status::kOk;
      }
      if (me->canceled.load(mica::kRelaxed)) {
        return mica::Status::kCanceled;
      }
      n = queue_.pop_front();
      if (n != nullptr && n->bound) {
        // Copied under the lock: the binding may refill it once dequeued
        // (and a registration may end once the lock is dropped).
        *out = n->packet;
        n->queued = false;
        if (source != nullptr && n->wait != nullptr && n->wait->read) {
          source->valid = true;
          source->owner = n->wait->through.owner;
          source->handle = n->wait->through.handle;
          source->koid = n->wait->source_koid;
        }
        SyncReadableLocked();
        return mica::Status::kOk;
      }
      if (n != nullptr) {
        if (n->wait == nullptr) {
          user_packets_--;
        }
        SyncReadableLocked();
      } else if (s != mica::Status::kOk) {
        return s;
      } else {
        waiting_.push_back(me);
      }
    }
    if (n != nullptr) {
      *out = n->packet;
      ReleaseNode(n);
      return mica::Status::kOk;
    }
    s = waiters_.BlockWhile(EmptyAndNotCanceled, me, deadline);
  }
}

mica::Status PortDispatcher::ReplyWait(ChannelDispatcher* channel, ChannelMessagePtr* reply,
                                       uint64_t deadline, uint32_t byte_capacity,
                                       uint32_t handle_capacity, mica_port_packet_t* out,
                                       WaitThrough through, ReadSource* source) {
  Waiter me;
  me.port = this;
  me.through = through;
  me.accepts = true;
  me.byte_capacity = byte_capacity;
  me.handle_capacity = handle_capacity;
  mica::Status s = mica::Status::kOk;
  if (channel != nullptr) {
    bool empty;
    {
      IrqGuard g(queue_lock_);  // (no signal changes: not the signal lock)
      empty = queue_.empty();
      if (empty) {
        // On the list before the write: a handle_close of the port from now
        // on cancels this wait (OnHandleClosed), whenever it blocks.
        waiting_.push_back(&me);
      }
    }
    mica::Status ws;
    if (!empty) {
      // A packet is there already: no block, so no direct switch either.
      ws = channel->Write(reply);
    } else {
      // The write and the block in one scheduler critical section: a
      // caller the reply woke runs in this thread's place (the IPC fast
      // path). A packet queued meanwhile is seen by EmptyAndNotCanceled
      // under the scheduler lock.
      ws = channel->WriteAndBlockWhile(reply, &waiters_, EmptyAndNotCanceled, &me, deadline, &s);
    }
    if (ws != mica::Status::kOk) {
      {
        IrqGuard g(queue_lock_);
        if (me.node.InContainer()) {
          waiting_.remove(&me);
        }
      }
      if (me.handed.load(mica::kRelaxed)) {
        // A writer handed a message over between the registration above
        // and the failed write: it goes back to its channel (whose lock
        // also waits out that writer's wake), not down with this call.
        auto* from = static_cast<ChannelDispatcher*>(me.from.get());
        from->Unread(&me.msg);
      }
      return ws;
    }
  }
  return WaitLoop(&me, s, deadline, out, source);
}

sched::WaitQueue* PortDispatcher::HandMessage(AsyncWait* wait, ChannelMessagePtr* msg,
                                              Dispatcher* channel, mica_signals_t observed) {
  IrqGuard g(queue_lock_);
  if (dead_ || !queue_.empty()) {
    return nullptr;  // packets first: the message takes the ordinary path
  }
  for (Waiter& w : waiting_) {
    if (!w.accepts || w.canceled.load(mica::kRelaxed) || w.through.owner != wait->through.owner) {
      continue;
    }
    if ((*msg)->data_size() > w.byte_capacity || (*msg)->handle_count() > w.handle_capacity) {
      return nullptr;
    }
    waiting_.remove(&w);
    w.msg = mica::Move(*msg);
    w.from = mica::RefPtr<Dispatcher>(channel);
    w.packet.key = wait->key;
    w.packet.type = MICA_PKT_TYPE_MESSAGE;
    w.packet.status = MICA_OK;
    w.packet.signal.trigger = wait->trigger_mask();
    w.packet.signal.observed = observed;
    w.packet.signal.count = 1;
    w.packet.signal.timestamp = static_cast<mica_time_t>(timer::NowNs());
    w.packet.signal.reserved[0] = w.packet.signal.reserved[1] = w.packet.signal.reserved[2] = 0;
    // The waiter's thread reads this under queue_lock_ (WaitLoop) or
    // through its blocking condition under the scheduler lock, which the
    // wake takes after this.
    w.handed.store(true, mica::kRelaxed);
    return &waiters_;
  }
  return nullptr;
}

void PortDispatcher::OnHandleClosed(const void* owner, uint32_t handle) {
  bool any = false;
  {
    IrqGuard g(queue_lock_);
    for (Waiter& w : waiting_) {
      if (w.through.Matches(owner, handle)) {
        w.canceled.store(true, mica::kRelaxed);
        any = true;
      }
    }
  }
  if (any) {
    waiters_.WakeAll();
  }
}

void PortDispatcher::QueueBound(PortPacketNode* slot, const mica_port_packet_t& packet) {
  {
    IrqGuard sg(lock_);
    IrqGuard g(queue_lock_);
    slot->packet = packet;
    if (slot->queued || dead_) {
      return;  // updated in place (the waiter will see it), or nobody can read it
    }
    slot->queued = true;
    queue_.push_back(slot);
    SyncReadableLocked();
    // Under the locks, as in QueueSignal: a binding being removed on
    // another CPU may drop the port's last reference once they are free.
    waiters_.WakeOne();
  }
}

void PortDispatcher::RemoveBound(PortPacketNode* slot) {
  IrqGuard sg(lock_);
  IrqGuard g(queue_lock_);
  if (slot->queued) {
    queue_.remove(slot);
    slot->queued = false;
    SyncReadableLocked();
  }
}

size_t PortDispatcher::CancelQueued(uint64_t koid, uint64_t key) {
  mica::List<PortPacketNode, &PortPacketNode::node> removed;
  size_t count = 0;
  {
    IrqGuard sg(lock_);
    IrqGuard g(queue_lock_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      PortPacketNode* n = &*it;
      ++it;
      AsyncWait* w = n->wait;
      // (A repeating wait's slot leaves the queue when the registration
      // ends, in port_cancel's first half.)
      if (w != nullptr && !n->bound && w->source_koid == koid && w->key == key) {
        queue_.remove(n);
        removed.push_back(n);
        count++;
      }
    }
    SyncReadableLocked();
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
    IrqGuard sg(lock_);
    IrqGuard g(queue_lock_);
    dead_ = true;
    while (PortPacketNode* n = queue_.pop_front()) {
      if (n->bound) {
        n->queued = false;  // stays with its binding
        continue;
      }
      removed.push_back(n);
    }
    user_packets_ = 0;
    SyncReadableLocked();
  }
  while (PortPacketNode* n = removed.pop_front()) {
    ReleaseNode(n);
  }
}
