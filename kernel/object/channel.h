// Channels: two connected endpoints, each with a bounded queue of messages
// (bytes and handles) written by the other end. Handles travel inside
// messages: they leave the writer's table atomically with the write and
// enter the reader's table with the read (DESIGN.md §4).
//
// Locking: both endpoints of a pair share one lock (Shared::lock, reached
// as lock()), which guards the state of both; code holding it reaches the
// peer's fields after AssertPeerLockHeld. Lock order: the channel lock ->
// Dispatcher::lock_ (signals) -> the scheduler lock.
#pragma once

#include "kernel/lib/thread_annotations.h"
#include "kernel/object/channel_message.h"
#include "kernel/object/dispatcher.h"
#include "kernel/sched/sched.h"

class ChannelDispatcher final : public Dispatcher {
 public:
  ~ChannelDispatcher() override;
  static bool CreatePair(mica::RefPtr<Dispatcher>* a, mica::RefPtr<Dispatcher>* b);
  mica_rights_t default_rights() const override { return MICA_DEFAULT_CHANNEL_RIGHTS; }
  uint64_t related_koid() const override { return peer_koid_; }
  mica::Status SignalPeer(mica_signals_t clear, mica_signals_t set) override;

  // Queues `msg` at the peer. kPeerClosed, kShouldWait (peer's queue full).
  // On failure *msg is left to the caller.
  mica::Status Write(ChannelMessagePtr* msg);
  // Dequeues the first message if it fits (else kBufferTooSmall and the
  // sizes). kShouldWait when empty with the peer open, kPeerClosed when
  // empty and the peer is gone.
  mica::Status Read(uint32_t byte_capacity, uint32_t handle_capacity, ChannelMessagePtr* out,
                    uint32_t* bytes, uint32_t* handles);
  // channel_write_read: writes *write first unless it is null (as Write:
  // on failure its result is returned and *write is left to the caller),
  // then reads as Read, except that while the queue is empty and the peer
  // open it waits (until `deadline`) for a message; a writer hands a
  // message that fits straight to the longest waiting reader. The write
  // and the start of the wait are one critical section, and a thread the
  // write wakes may be switched to directly. kTimedOut, kCanceled
  // (`through` closed, or the thread is being killed), plus Read's
  // results.
  mica::Status WriteReadWait(ChannelMessagePtr* write, uint32_t byte_capacity,
                             uint32_t handle_capacity, uint64_t deadline, ChannelMessagePtr* out,
                             uint32_t* bytes, uint32_t* handles, WaitThrough through);
  // object_wait_async with MICA_WAIT_ASYNC_READ on this endpoint: writers
  // from now on offer a message to its port's waiters (HandToPortLocked).
  void NoteReadWait() { read_waits_.store(true, mica::kRelaxed); }
  // Takes and drops the channel lock: a writer that handed a message to a
  // port waiter (HandToPortLocked) has finished its wake after this.
  void SyncWithWriter() { IrqGuard g(lock()); }
  // port_reply_wait's write: writes *msg as Write does (on failure its
  // result is returned and *msg is left to the caller), then drops the lock
  // and blocks on `queue` while `still_wait(ctx)` (sched::WaitQueue::
  // WakeAndBlockWhile), switching directly to the caller a reply woke.
  // The block's result goes to *block_status.
  mica::Status WriteAndBlockWhile(ChannelMessagePtr* msg, sched::WaitQueue* queue,
                                  bool (*still_wait)(const void* ctx), const void* ctx,
                                  uint64_t deadline, mica::Status* block_status);
  // Puts a message Read returned back at the front (the reader could not
  // deliver it), so FIFO order is kept.
  void Unread(ChannelMessagePtr* msg);
  // channel_call: gives `request` a fresh kernel transaction id, writes it
  // and waits for the peer's message with that id. kTimedOut, kPeerClosed,
  // kCanceled (`through` closed), plus Write's errors (then *request is
  // left to the caller).
  mica::Status Call(ChannelMessagePtr* request, uint64_t deadline, ChannelMessagePtr* reply,
                    WaitThrough through = {});

  // How many transaction ids of calls that ended without their reply an
  // endpoint remembers, to discard the late replies.
  static constexpr size_t kAbandonedTxids = 64;

 protected:
  void OnZeroHandles() override;
  void OnHandleClosed(const void* owner, uint32_t handle) override;
  void OnHandleReleased(uint32_t remaining) override;

 private:
  friend class ChannelGc;
  // What the two endpoints of a pair share.
  struct Shared : mica::RefCounted<Shared> {
    IrqSpinLock lock;
  };
  explicit ChannelDispatcher(mica::RefPtr<Shared> shared);

  // The lock of this endpoint and of its peer.
  IrqSpinLock& lock() const RETURN_CAPABILITY(shared_->lock) { return shared_->lock; }
  // Holding this endpoint's lock is holding `peer`'s: tells the analysis
  // so, for `peer`'s fields. No code: the two share one Shared from
  // CreatePair on (shared_ never changes).
  void AssertPeerLockHeld(const ChannelDispatcher& peer) const REQUIRES(lock())
      ASSERT_CAPABILITY(peer.lock()) {}

  struct CallWaiter {
    mica::ListNode node;
    uint32_t txid = 0;
    WaitThrough through;
    sched::WaitQueue queue;
    mica::Atomic<bool> done;      // reply arrived, the peer closed, or cancelled
    mica::Atomic<bool> canceled;  // the handle was closed
    ChannelMessagePtr reply;
  };
  // A thread in ReadWait on this endpoint.
  struct ReadWaiter {
    mica::ListNode node;
    uint32_t byte_capacity = 0;
    uint32_t handle_capacity = 0;
    WaitThrough through;
    sched::WaitQueue queue;
    mica::Atomic<bool> done;      // handed a message, or must look again
    mica::Atomic<bool> canceled;  // the handle was closed
    ChannelMessagePtr msg;        // the message a writer handed over
  };
  // A waiter a message was handed to: the flag that ends its wait and the
  // queue it sleeps on. The writer sets and wakes them before it drops the
  // channel lock (the waiter lives on its own stack and may leave as soon
  // as it can see the hand-off): with WakeLocked, or, when the writer
  // blocks next, in sched::WaitQueue::WakeAndBlockUntil.
  struct Handoff {
    sched::WaitQueue* queue = nullptr;
    mica::Atomic<bool>* done = nullptr;
    void WakeLocked() {
      if (queue != nullptr) {
        queue->SetAndWakeAll(done);
      }
    }
  };
  // Queues `msg` (from the peer) at this endpoint, or hands it to the
  // longest waiting reader if the queue is empty and it fits (*h says
  // whom to wake). kShouldWait when the queue is full, kNoMemory when the
  // writer's job cannot pay for it (*msg is left to the caller either
  // way). Lock held.
  //
  // A message queued in a fast block (one not charged as heap memory) is
  // charged to the writer's memory account for as long as it stays queued
  // (ChargeQueuedLocked; `charge` false: a message going back, uncharged).
  mica::Status DeliverLocked(ChannelMessagePtr* msg, Handoff* h, bool charge = true)
      REQUIRES(lock());
  // The queue's charges (docs/kernel.md "Job memory limits").
  static bool ChargeQueuedLocked(ChannelMessage* msg);
  static void UnchargeDequeuedLocked(ChannelMessage* msg);
  // Write's work, lock held; a reply nobody waits for any more is moved to
  // *late for the caller to destroy outside the lock.
  mica::Status WriteLocked(ChannelMessagePtr* msg, Handoff* h, ChannelMessagePtr* late)
      REQUIRES(lock());
  // Unread's work, lock held: the message goes back at the front, or to
  // a reader waiting in ReadWait if the queue is empty.
  void UnreadLocked(ChannelMessagePtr* msg) REQUIRES(lock());
  // DeliverLocked's offer of a message to a thread waiting in
  // port_reply_wait on the port of one of this endpoint's READ
  // registrations (PortDispatcher::HandMessage): the port's wait queue to
  // wake if it took it, else null. Cold: off the inline IPC path.
  [[gnu::cold]] sched::WaitQueue* HandToPortLocked(ChannelMessagePtr* msg) REQUIRES(lock());
  // Read's work, lock held.
  mica::Status ReadLocked(uint32_t byte_capacity, uint32_t handle_capacity, ChannelMessagePtr* out,
                          uint32_t* bytes, uint32_t* handles) REQUIRES(lock());
  // The collector's step 4 (channel_gc.h): moves every queued message to
  // *out. Lock held.
  void DrainForCollectorLocked(ChannelMessageList* out) REQUIRES(lock());
  // Wakes every waiting reader to look at the queue again (the peer
  // closed). Lock held.
  void WakeReadersLocked() REQUIRES(lock());

  // A message from the peer is a reply only if a call on this endpoint
  // waits for its txid (then it goes to the call) or recently gave up on it
  // (then it is dropped: *msg is left for the caller to destroy and the
  // result is true). Any other message is an ordinary one: false. Lock
  // held.
  bool TakeReplyLocked(ChannelMessagePtr* msg, Handoff* h) REQUIRES(lock());
  // sched::WaitQueue::WakeAndBlockUntil with the channel lock as `held`
  // (taken by lock().Acquire(), which gave `irq_state`): wakes `h`, drops
  // the lock and blocks on `queue` until *done or `deadline`.
  mica::Status WakeAndBlockLocked(sched::WaitQueue* queue, const Handoff& h, uint64_t irq_state,
                                  const mica::Atomic<bool>* done, uint64_t deadline)
      RELEASE(lock());

  const mica::RefPtr<Shared> shared_;
  mica::List<CallWaiter, &CallWaiter::node> calls_ GUARDED_BY(lock());
  mica::List<ReadWaiter, &ReadWaiter::node> readers_ GUARDED_BY(lock());
  mica::RefPtr<ChannelDispatcher> peer_ GUARDED_BY(lock());
  ChannelMessageQueue queue_ GUARDED_BY(lock());
  uint64_t peer_koid_ = 0;
  // The next kernel transaction id of a channel_call through this endpoint
  // (atomic). A reply is recognised by its txid at the end that called, so
  // the two ends' ids must differ: one end's are odd, the other's even
  // (CreatePair), each counting by 2.
  mica::Atomic<uint32_t> next_txid_{1};
  // The collector's verdict (channel_gc.h, step 4): tentatively dead (a
  // read proceeds but moves the collector's generation, so the collection
  // gives up), or dead (about to be drained: reads fail with kCanceled).
  static constexpr uint8_t kGcLive = 0, kGcTentative = 1, kGcDead = 2;
  uint8_t gc_state_ GUARDED_BY(lock()) = kGcLive;
  // A READ registration was ever made on this endpoint (NoteReadWait); in
  // the padding after gc_state_ (the endpoint's size class stays).
  mica::Atomic<bool> read_waits_{false};

  // The collector's bookkeeping (channel_gc.h). `inflight_` and
  // `inflight_node_` are guarded by the in-flight lock; the gc_* fields are
  // touched only by the one running collection.
  uint32_t inflight_ = 0;  // handles to this endpoint inside messages
  mica::ListNode inflight_node_;
  uint64_t gc_seen_epoch_ = 0;       // the collection that last looked at it
  uint64_t gc_candidate_epoch_ = 0;  // the collection it is a candidate of
  uint64_t gc_reached_epoch_ = 0;    // ... that found it reachable
  int64_t gc_count_ = 0;
  ChannelDispatcher* gc_next_ = nullptr;       // the candidates
  ChannelDispatcher* gc_work_next_ = nullptr;  // the reachable ones to scan

  // Last: 256 bytes that only a timed-out call touches (the fields above
  // stay within reach of the IPC path's immediate-offset loads).
  uint32_t abandoned_[kAbandonedTxids] GUARDED_BY(lock()) = {};  // 0 = none
  size_t abandoned_next_ GUARDED_BY(lock()) = 0;
};
