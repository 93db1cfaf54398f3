#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/channel_ipc.h"
#include "kernel/object/port.h"

#include <new>

ChannelDispatcher::ChannelDispatcher(mica::RefPtr<Shared> shared)
    : Dispatcher(MICA_OBJ_TYPE_CHANNEL, MICA_CHANNEL_WRITABLE), shared_(mica::Move(shared)) {}

ChannelDispatcher::~ChannelDispatcher() {
  MICA_ASSERT_MSG(inflight_ == 0 && !inflight_node_.InContainer(),
                  "a channel endpoint destroyed with handles in flight");
}

bool ChannelDispatcher::CreatePair(mica::RefPtr<Dispatcher>* a, mica::RefPtr<Dispatcher>* b) {
  mica::AllocChecker ac_s;
  auto* s = new (ac_s) Shared();
  if (!ac_s.check()) {
    return false;
  }
  auto shared = mica::AdoptRef(s);
  mica::AllocChecker ac_x, ac_y;
  auto* x = new (ac_x) ChannelDispatcher(shared);
  auto* y = new (ac_y) ChannelDispatcher(shared);
  const bool ok_a = ac_x.check(), ok_b = ac_y.check();
  if (!ok_a || !ok_b) {
    delete x;
    delete y;
    return false;
  }
  auto rx = mica::AdoptRef(x);
  auto ry = mica::AdoptRef(y);
  {
    IrqGuard g(x->lock());
    x->AssertPeerLockHeld(*y);
    x->peer_ = ry;
    y->peer_ = rx;
  }
  x->peer_koid_ = y->koid();
  y->peer_koid_ = x->koid();
  y->next_txid_.store(2, mica::kRelaxed);  // x's are odd, y's even
  *a = rx;
  *b = ry;
  return true;
}

mica::Status ChannelDispatcher::SignalPeer(mica_signals_t clear, mica_signals_t set) {
  mica::RefPtr<ChannelDispatcher> peer;
  {
    IrqGuard g(lock());
    peer = peer_;
  }
  if (!peer) {
    return mica::Status::kPeerClosed;
  }
  peer->UpdateSignals(clear, set);
  return mica::Status::kOk;
}

mica::Status ChannelDispatcher::Write(ChannelMessagePtr* msg) {
  ChannelMessagePtr late;  // destroyed after the lock is dropped
  IrqGuard g(lock());
  Handoff h;
  mica::Status s = WriteLocked(msg, &h, &late);
  h.WakeLocked();
  return s;
}

void ChannelDispatcher::WakeReadersLocked() {
  while (ReadWaiter* r = readers_.pop_front()) {
    r->done.store(true, mica::kRelaxed);
    r->queue.WakeAll();
  }
}

mica::Status ChannelDispatcher::ReadLocked(uint32_t byte_capacity, uint32_t handle_capacity,
                                           ChannelMessagePtr* out, uint32_t* bytes,
                                           uint32_t* handles) {
  if (gc_state_ != kGcLive) [[unlikely]] {
    // Found unreachable by a running collection (channel_gc.h): only a
    // read that raced with the send or close of its own handle gets here.
    if (gc_state_ == kGcDead) {
      return mica::Status::kCanceled;
    }
    ChannelGc::ReadDuringVerdictLocked();
  }
  bool was_full = queue_.full();
  mica::Status s = queue_.Read(byte_capacity, handle_capacity, out, bytes, handles);
  if (s == mica::Status::kShouldWait) {
    return peer_ ? s : mica::Status::kPeerClosed;
  }
  if (s != mica::Status::kOk) {
    return s;
  }
  UnchargeDequeuedLocked(out->get());
  if ((*out)->handle_count() != 0) {
    ChannelGc::DequeuedLocked(**out);
  }
  if (queue_.empty()) {
    UpdateSignals(MICA_CHANNEL_READABLE, 0);
  }
  if (was_full && !queue_.full() && peer_) {
    peer_->UpdateSignals(0, MICA_CHANNEL_WRITABLE);
  }
  return mica::Status::kOk;
}

mica::Status ChannelDispatcher::Read(uint32_t byte_capacity, uint32_t handle_capacity,
                                     ChannelMessagePtr* out, uint32_t* bytes, uint32_t* handles) {
  IrqGuard g(lock());
  return ReadLocked(byte_capacity, handle_capacity, out, bytes, handles);
}

sched::WaitQueue* ChannelDispatcher::HandToPortLocked(ChannelMessagePtr* msg) {
  sched::WaitQueue* queue = nullptr;
  AnyAsyncWait([&](AsyncWaitLink* link, mica_signals_t signals) {
    auto* w = static_cast<AsyncWait*>(link);
    if (!w->read) {
      return false;
    }
    // The registration (and its reference to the port) may end once the
    // signal lock is dropped; the port's queue stays valid for the wake
    // because the waiter holds the port (port_reply_wait's handle) and
    // cannot leave before it took this channel's lock after the wake
    // (sys_port_reply_wait).
    queue = w->port->HandMessage(w, msg, this, signals);
    return queue != nullptr;
  });
  return queue;
}

mica::Status ChannelDispatcher::WriteAndBlockWhile(ChannelMessagePtr* msg, sched::WaitQueue* queue,
                                                   bool (*still_wait)(const void* ctx),
                                                   const void* ctx, uint64_t deadline,
                                                   mica::Status* block_status) {
  ChannelMessagePtr late;  // a late reply the write dropped: destroyed on return, unlocked
  uint64_t irq_state = lock().Acquire();
  Handoff h;
  mica::Status s = WriteLocked(msg, &h, &late);
  if (s != mica::Status::kOk) {
    lock().Release(irq_state);
    return s;
  }
  *block_status = queue->WakeAndBlockWhile(h.queue, h.done, &lock().raw(), irq_state, still_wait,
                                           ctx, deadline);
  return mica::Status::kOk;
}

void ChannelDispatcher::Unread(ChannelMessagePtr* msg) {
  // Used when the reader could not deliver the message (a buffer faulted,
  // its handle table is full): it goes back at the front, keeping FIFO
  // order, even if writers filled its room meanwhile.
  IrqGuard g(lock());
  UnreadLocked(msg);
}

void ChannelDispatcher::UnreadLocked(ChannelMessagePtr* msg) {
  if (queue_.empty() && !readers_.empty()) {
    // Another thread waits in channel_write_read: it gets the message, as
    // it would have had it come first (an empty queue always has room).
    Handoff h;
    mica::Status s = DeliverLocked(msg, &h, /*charge=*/false);
    MICA_ASSERT(s == mica::Status::kOk);
    h.WakeLocked();
    return;
  }
  const ChannelMessage* queued = msg->get();
  queue_.PutBack(msg);
  if (queued->handle_count() != 0) {
    ChannelGc::QueuedLocked(*queued);
  }
  UpdateSignals(0, MICA_CHANNEL_READABLE);
  if (queue_.full() && peer_) {
    peer_->UpdateSignals(MICA_CHANNEL_WRITABLE, 0);
  }
}

void ChannelDispatcher::OnHandleClosed(const void* owner, uint32_t handle) {
  IrqGuard g(lock());
  for (auto it = calls_.begin(); it != calls_.end();) {
    CallWaiter* w = &*it;
    ++it;
    if (w->through.Matches(owner, handle)) {
      calls_.remove(w);
      w->canceled.store(true, mica::kRelaxed);
      w->done.store(true, mica::kRelaxed);
      w->queue.WakeAll();
    }
  }
  for (auto it = readers_.begin(); it != readers_.end();) {
    ReadWaiter* r = &*it;
    ++it;
    if (r->through.Matches(owner, handle)) {
      readers_.remove(r);
      r->canceled.store(true, mica::kRelaxed);
      r->done.store(true, mica::kRelaxed);
      r->queue.WakeAll();
    }
  }
}

void ChannelDispatcher::OnHandleReleased(uint32_t remaining) {
  ChannelGc::HandleReleased(this, remaining);
}

void ChannelDispatcher::DrainForCollectorLocked(ChannelMessageList* out) {
  bool was_full = queue_.full();
  // Only this queue's messages are uncharged (`out` gathers the whole
  // collection's: walking all of it for each endpoint was quadratic).
  ChannelMessageList drained;
  queue_.Drain(&drained);
  while (ChannelMessagePtr m = drained.pop_front()) {
    UnchargeDequeuedLocked(m.get());
    out->push_back(mica::Move(m));
  }
  UpdateSignals(MICA_CHANNEL_READABLE, 0);
  if (was_full && peer_) {
    peer_->UpdateSignals(0, MICA_CHANNEL_WRITABLE);
  }
}

void ChannelDispatcher::OnZeroHandles() {
  mica::RefPtr<ChannelDispatcher> peer;
  // Messages nobody will read: destroyed (their handles released) as this
  // goes, after the lock is dropped.
  ChannelMessageList drained;
  {
    IrqGuard g(lock());
    peer = mica::Move(peer_);
    if (peer) {
      AssertPeerLockHeld(*peer);
      peer->peer_.reset();  // break the reference cycle
      peer->UpdateSignals(MICA_CHANNEL_WRITABLE, MICA_CHANNEL_PEER_CLOSED);
      // Calls waiting on the survivor will never get their reply.
      while (CallWaiter* w = peer->calls_.pop_front()) {
        w->done.store(true, mica::kRelaxed);
        w->queue.WakeAll();
      }
      // Its readers look again: the queue may hold messages, else they
      // see PEER_CLOSED.
      peer->WakeReadersLocked();
    }
    queue_.Drain(&drained);
    for (ChannelMessage& m : drained) {
      UnchargeDequeuedLocked(&m);
    }
  }
}
