// Ports: a queue of 64-byte packets that a thread waits on (DESIGN.md §4).
// User packets come from port_queue (bounded by MICA_PORT_MAX_USER_PACKETS);
// signal packets from object_wait_async registrations, whose memory is
// allocated at registration so delivery never allocates or fails.
// A one-shot registration's packet ends it (the port frees it once read); a
// repeating one (MICA_WAIT_ASYNC_REPEATING) keeps its one packet slot like a
// binding does: queued on each rising edge unless it is queued already
// (then its `observed` and `count` are updated in place), copied out by
// port_wait, taken off the queue when the registration ends.
//
// A port asserts MICA_SIGNAL_READABLE while a packet is queued. Its signal
// lock (Dispatcher::lock_) is taken inside a source object's lock when a
// wait_async fires, so a port's own observers may only be thread waits:
// object_wait_async refuses a port as the source (no port-to-port cycles).
//
// Lock order: source Dispatcher::lock_ -> port Dispatcher::lock_ ->
// PortDispatcher::queue_lock_ -> the scheduler lock.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/object/channel_message.h"
#include "kernel/object/dispatcher.h"
#include "kernel/sched/sched.h"

class PortDispatcher;

// One queued packet: either a heap user packet or the packet slot of an
// async wait.
struct AsyncWait;
struct PortPacketNode {
  mica::ListNode node;
  mica_port_packet_t packet = {};
  AsyncWait* wait = nullptr;  // null for a user packet
  // A binding's packet (timer_bind, interrupt_bind): owned by the bound
  // object, reused for every firing, never freed by the port. `queued` is
  // guarded by the port's queue lock.
  bool bound = false;
  bool queued = false;
};

// An object_wait_async registration: a signal observer on the source and the
// packet it will queue.
struct AsyncWait : HandleObserver, AsyncWaitLink {
  AsyncWait(Dispatcher* source, mica_signals_t trigger, mica::RefPtr<PortDispatcher> port,
            uint64_t key, bool repeating);
  // A repeating wait's slot may be queued: it is taken off the port first.
  ~AsyncWait();
  bool repeating() const { return slot.bound; }
  PortPacketNode slot;
  // MICA_WAIT_ASYNC_READ (a repeating wait on a channel, through a handle
  // with READ): port_reply_wait may read the channel's next message along
  // with the packet.
  bool read = false;
  Dispatcher* source;  // valid while registered (the source cancels on death)
  mica::RefPtr<PortDispatcher> port;
  uint64_t key;
  uint64_t source_koid;
};

class ChannelDispatcher;

// Where the packet port_reply_wait took came from, when it is a
// MICA_WAIT_ASYNC_READ registration's: the handle it was made through and
// the channel's koid (copied under the port's lock; the registration may
// end as soon as it is dropped).
struct ReadSource {
  bool valid = false;
  const void* owner = nullptr;
  mica_handle_t handle = MICA_HANDLE_INVALID;
  uint64_t koid = 0;
  // Or: a writer handed the message straight to this waiter (the packet
  // is then a MICA_PKT_TYPE_MESSAGE one already): `msg` from the channel
  // `from` (a ChannelDispatcher), never queued.
  bool handed = false;
  ChannelMessagePtr msg;
  mica::RefPtr<Dispatcher> from;
};

class PortDispatcher final : public Dispatcher {
 public:
  PortDispatcher() : Dispatcher(MICA_OBJ_TYPE_PORT, 0) {}
  ~PortDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_PORT_RIGHTS; }

  // port_queue: copies `packet` (type must be USER). kShouldWait at the limit.
  mica::Status QueueUser(const mica_port_packet_t& packet);
  // port_wait: the oldest packet, waiting until `deadline`. kTimedOut;
  // kCanceled if `through` is closed meanwhile.
  mica::Status Wait(uint64_t deadline, mica_port_packet_t* out, WaitThrough through = {});
  // port_reply_wait: writes *reply to `channel` (a reply to a channel_call
  // wakes its caller, switched to directly when this thread blocks), then
  // waits as Wait. A write error is returned at once, nothing dequeued,
  // *reply left to the caller. *source tells whether the packet is a
  // READ registration's.
  // While it waits with an empty queue, a message written to a channel
  // with a READ registration on this port that fits `byte_capacity` and
  // `handle_capacity` may be handed to it directly (HandMessage).
  mica::Status ReplyWait(ChannelDispatcher* channel, ChannelMessagePtr* reply, uint64_t deadline,
                         uint32_t byte_capacity, uint32_t handle_capacity, mica_port_packet_t* out,
                         WaitThrough through, ReadSource* source);
  // A channel's writer (channel lock and the channel's signal lock held),
  // for READ registration `wait` of this port: if the queue is empty and a
  // thread of the registration's process waits in port_reply_wait with
  // room for *msg, moves *msg to it with its MICA_PKT_TYPE_MESSAGE packet
  // (`observed`: the channel's signals) and returns the queue to wake
  // (directly, if the writer blocks next). Null otherwise (*msg untouched).
  sched::WaitQueue* HandMessage(AsyncWait* wait, ChannelMessagePtr* msg, Dispatcher* channel,
                                mica_signals_t observed);
  // Called by an AsyncWait firing (source lock held): queues its packet,
  // or, once the port has no handles, frees `wait` (and maybe the port).
  void QueueSignal(AsyncWait* wait, mica_signals_t observed);
  // A repeating AsyncWait saw an edge (source lock held): queues its slot,
  // or updates it in place if it is still queued. False (nothing queued)
  // once the port has no handles: the caller ends the registration.
  bool QueueRepeating(AsyncWait* wait, mica_signals_t observed);
  // A bound object fired (any context, IRQ included: never allocates):
  // queues `slot` (a `bound` node the caller owns) with `packet`; if it is
  // still queued from an earlier firing, its packet is replaced instead.
  void QueueBound(PortPacketNode* slot, const mica_port_packet_t& packet);
  // The binding goes away: takes `slot` off the queue if it is there.
  void RemoveBound(PortPacketNode* slot);
  // port_cancel's second half: removes queued signal packets of `koid`/`key`
  // and returns how many.
  size_t CancelQueued(uint64_t source_koid, uint64_t key);

 protected:
  void OnZeroHandles() override;
  void OnHandleClosed(const void* owner, uint32_t handle) override;

 private:
  // A thread in port_wait.
  struct Waiter {
    mica::ListNode node;
    PortDispatcher* port;
    WaitThrough through;
    mica::Atomic<bool> canceled;
    // port_reply_wait: a message may be handed over (HandMessage), set
    // under queue_lock_ with the waiter taken off waiting_.
    bool accepts = false;
    uint32_t byte_capacity = 0;
    uint32_t handle_capacity = 0;
    mica::Atomic<bool> handed;
    ChannelMessagePtr msg;
    mica::RefPtr<Dispatcher> from;
    mica_port_packet_t packet;
  };
  static bool EmptyAndNotCanceled(const void* waiter);
  // Wait's loop, from a state where `me` may be on waiting_ and `s` is the
  // last block's result.
  mica::Status WaitLoop(Waiter* me, mica::Status s, uint64_t deadline, mica_port_packet_t* out,
                        ReadSource* source);
  // Keeps READABLE in step with the queue (both locks held).
  void SyncReadableLocked() REQUIRES(lock_, queue_lock_);
  IrqSpinLock queue_lock_ ACQUIRED_AFTER(lock_) ACQUIRED_BEFORE(sched::g_sched_lock);
  mica::List<PortPacketNode, &PortPacketNode::node> queue_ GUARDED_BY(queue_lock_);
  uint32_t user_packets_ GUARDED_BY(queue_lock_) = 0;
  mica::List<Waiter, &Waiter::node> waiting_ GUARDED_BY(queue_lock_);
  bool dead_ GUARDED_BY(queue_lock_) = false;  // no handles left: signal packets are dropped
  sched::WaitQueue waiters_;
};
