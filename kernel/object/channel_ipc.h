// The IPC paths of channels (channel_call, channel_write_read and the
// writes that hand a message to a waiting reader or caller), inline: they
// are the hot path of IPC, and sys_channel.cc's system calls and
// channel.cc's other operations are their only callers, so each call site
// gets one fused copy with no calls between the layers
// (docs/performance.md). Include only from those two files.
#pragma once

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"

[[gnu::always_inline]] inline bool ChannelDispatcher::TakeReplyLocked(ChannelMessagePtr* msg,
                                                                      Handoff* h) {
  if (!(*msg)->has_txid() || ((*msg)->txid() & MICA_TXID_KERNEL_BIT) == 0) {
    return false;
  }
  uint32_t txid = (*msg)->txid();
  for (CallWaiter& w : calls_) {
    if (w.txid == txid) {
      calls_.remove(&w);
      w.reply = mica::Move(*msg);
      // `done` is set under the scheduler lock with the wake: once the
      // caller sees it, this thread no longer touches the waiter (Call
      // takes the reply without the channel lock).
      h->queue = &w.queue;
      h->done = &w.done;
      return true;
    }
  }
  for (uint32_t& t : abandoned_) {
    if (t == txid) {
      t = 0;  // one reply per call
      return true;
    }
  }
  return false;
}

[[gnu::always_inline]] inline mica::Status ChannelDispatcher::WriteLocked(ChannelMessagePtr* msg,
                                                                          Handoff* h,
                                                                          ChannelMessagePtr* late) {
  if (!peer_) {
    return mica::Status::kPeerClosed;
  }
  ChannelDispatcher* peer = peer_.get();
  AssertPeerLockHeld(*peer);
  if (peer->TakeReplyLocked(msg, h)) {
    // A reply to a channel_call went to its waiter, or the call is over
    // and the late reply is dropped (ABI).
    *late = mica::Move(*msg);
    return mica::Status::kOk;
  }
  return peer->DeliverLocked(msg, h);
}

[[gnu::always_inline]] inline bool ChannelDispatcher::ChargeQueuedLocked(ChannelMessage* msg) {
  if (!InFastBlock(msg)) {
    return true;  // heap memory: charged to its writer when made
  }
  // IRQs are off (the channel lock): the current thread is the writer.
  mica::MemAccount* account = sched::Current()->mem_account;
  if (account == nullptr) {
    return true;
  }
  if (!kmem::ChargeAccount(account, kmem::kFastBlockSize)) {
    return false;
  }
  msg->set_charge(account);
  return true;
}

[[gnu::always_inline]] inline void ChannelDispatcher::UnchargeDequeuedLocked(ChannelMessage* msg) {
  if (void* account = msg->charge(); account != nullptr) [[unlikely]] {
    msg->set_charge(nullptr);
    kmem::UnchargeAccount(static_cast<mica::MemAccount*>(account), kmem::kFastBlockSize);
  }
}

[[gnu::always_inline]] inline mica::Status ChannelDispatcher::DeliverLocked(ChannelMessagePtr* msg,
                                                                            Handoff* h,
                                                                            bool charge) {
  if (queue_.empty()) {
    // A reader waits only while the queue is empty: the message can go
    // straight to the longest waiting one, never entering the queue (so
    // READABLE never rises for it). One it does not fit is queued, and
    // that reader looks again (and reports the sizes).
    if (ReadWaiter* r = readers_.pop_front()) {
      if ((*msg)->data_size() <= r->byte_capacity && (*msg)->handle_count() <= r->handle_capacity) {
        r->msg = mica::Move(*msg);
        // As in TakeReplyLocked: WriteReadWait takes the message without
        // the channel lock once it sees `done`.
        h->queue = &r->queue;
        h->done = &r->done;
        return mica::Status::kOk;
      }
      r->done.store(true, mica::kRelaxed);
      r->queue.WakeAll();
    } else if (read_waits_.load(mica::kRelaxed) && charge) [[unlikely]] {
      // A server waiting in port_reply_wait may take it (not a message
      // going back: Unread passes charge false).
      if (sched::WaitQueue* port_waiters = HandToPortLocked(msg)) {
        // (*h is filled here, not by the call: passing its address would
        // keep it out of registers on the whole IPC path.)
        h->queue = port_waiters;
        h->done = nullptr;
        return mica::Status::kOk;
      }
    }
  }
  const uint32_t handles = (*msg)->handle_count();
  ChannelMessage* m = msg->get();
  if (charge && !ChargeQueuedLocked(m)) {
    return mica::Status::kNoMemory;
  }
  mica::Status s = queue_.Write(msg);
  if (s != mica::Status::kOk) {
    UnchargeDequeuedLocked(m);
    return s;
  }
  if (handles != 0) [[unlikely]] {
    ChannelGc::QueuedLocked(*queue_.back());
  }
  UpdateSignals(0, MICA_CHANNEL_READABLE);
  if (queue_.full() && peer_) {
    peer_->UpdateSignals(MICA_CHANNEL_WRITABLE, 0);
  }
  return mica::Status::kOk;
}

// WakeAndBlockUntil releases the channel lock (`held`: the lock's raw
// spin lock, which IrqSpinLock::raw names as the same capability).
[[gnu::always_inline]] inline mica::Status ChannelDispatcher::WakeAndBlockLocked(
    sched::WaitQueue* queue, const Handoff& h, uint64_t irq_state, const mica::Atomic<bool>* done,
    uint64_t deadline) {
  return queue->WakeAndBlockUntil(h.queue, h.done, &lock().raw(), irq_state, done, deadline);
}

[[gnu::always_inline]] inline mica::Status ChannelDispatcher::Call(ChannelMessagePtr* request,
                                                                   uint64_t deadline,
                                                                   ChannelMessagePtr* reply,
                                                                   WaitThrough through) {
  CallWaiter waiter;
  waiter.through = through;
  waiter.txid =
      (next_txid_.fetch_add(2, mica::kRelaxed) & ~MICA_TXID_KERNEL_BIT) | MICA_TXID_KERNEL_BIT;
  (*request)->set_txid(waiter.txid);
  uint64_t irq_state = lock().Acquire();
  if (!peer_) {
    lock().Release(irq_state);
    return mica::Status::kPeerClosed;
  }
  ChannelDispatcher* peer = peer_.get();
  AssertPeerLockHeld(*peer);
  Handoff h;
  mica::Status s = peer->DeliverLocked(request, &h);
  if (s != mica::Status::kOk) {
    lock().Release(irq_state);
    return s;
  }
  calls_.push_back(&waiter);
  // Wakes the server the request went to (switching to it directly when
  // it can), drops the channel lock and waits for the reply.
  s = WakeAndBlockLocked(&waiter.queue, h, irq_state, &waiter.done, deadline);
  if (s == mica::Status::kOk && waiter.reply) {
    // The usual end: the replier took the waiter off calls_ and set the
    // reply before `done`, all under the channel lock and before the wake;
    // BlockWhile read `done` under the scheduler lock that the wake took
    // after that, so the reply is visible and nobody touches the waiter
    // any more.
    *reply = mica::Move(waiter.reply);
    return mica::Status::kOk;
  }
  IrqGuard g(lock());
  if (waiter.node.InContainer()) {
    calls_.remove(&waiter);
  }
  if (waiter.reply) {
    *reply = mica::Move(waiter.reply);
    return mica::Status::kOk;
  }
  if (waiter.canceled.load(mica::kRelaxed)) {
    s = mica::Status::kCanceled;
  } else if (waiter.done.load(mica::kRelaxed)) {
    return mica::Status::kPeerClosed;
  } else if (s == mica::Status::kOk) {
    s = mica::Status::kTimedOut;
  }
  // The request may still be answered: remember its id so that the late
  // reply is dropped instead of queued as an ordinary message.
  abandoned_[abandoned_next_] = waiter.txid;
  abandoned_next_ = (abandoned_next_ + 1) % kAbandonedTxids;
  return s;
}

[[gnu::always_inline]] inline mica::Status ChannelDispatcher::WriteReadWait(
    ChannelMessagePtr* write, uint32_t byte_capacity, uint32_t handle_capacity, uint64_t deadline,
    ChannelMessagePtr* out, uint32_t* bytes, uint32_t* handles, WaitThrough through) {
  ChannelMessagePtr late;  // a late reply the write dropped: destroyed on return, unlocked
  for (;;) {
    ReadWaiter waiter;
    waiter.byte_capacity = byte_capacity;
    waiter.handle_capacity = handle_capacity;
    waiter.through = through;
    uint64_t irq_state = lock().Acquire();
    Handoff h;
    if (write != nullptr) {
      mica::Status s = WriteLocked(write, &h, &late);
      if (s != mica::Status::kOk) {
        lock().Release(irq_state);
        return s;
      }
      write = nullptr;
    }
    // (An empty queue with the peer open, the usual case for a server,
    // needs no look.)
    mica::Status s = queue_.empty() && peer_
                         ? mica::Status::kShouldWait
                         : ReadLocked(byte_capacity, handle_capacity, out, bytes, handles);
    if (s != mica::Status::kShouldWait) {
      h.WakeLocked();
      lock().Release(irq_state);
      return s;
    }
    readers_.push_back(&waiter);
    // Wakes the caller the reply went to (switching to it directly when it
    // can), drops the channel lock and waits for a message.
    s = WakeAndBlockLocked(&waiter.queue, h, irq_state, &waiter.done, deadline);
    if (s == mica::Status::kOk && waiter.msg && !sched::Current()->interrupted) {
      // Handed a message (the usual end): as in Call, the writer is done
      // with the waiter and the message is visible without the lock.
      *bytes = waiter.msg->data_size();
      *handles = waiter.msg->handle_count();
      *out = mica::Move(waiter.msg);
      return mica::Status::kOk;
    }
    IrqGuard g(lock());
    if (waiter.node.InContainer()) {
      readers_.remove(&waiter);
    }
    if (waiter.msg) {
      if (sched::Current()->interrupted) {
        // The thread is being killed: the message goes back for the
        // process's other readers instead of dying with this call.
        UnreadLocked(&waiter.msg);
        return mica::Status::kCanceled;
      }
      *bytes = waiter.msg->data_size();
      *handles = waiter.msg->handle_count();
      *out = mica::Move(waiter.msg);
      return mica::Status::kOk;
    }
    if (waiter.canceled.load(mica::kRelaxed)) {
      return mica::Status::kCanceled;
    }
    if (!waiter.done.load(mica::kRelaxed)) {
      return s == mica::Status::kOk ? mica::Status::kTimedOut : s;
    }
    // Woken to look again (a message that does not fit, the peer closed).
  }
}
