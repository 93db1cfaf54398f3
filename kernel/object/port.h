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
  Dispatcher* source;  // valid while registered (the source cancels on death)
  mica::RefPtr<PortDispatcher> port;
  uint64_t key;
  uint64_t source_koid;
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
  };
  static bool EmptyAndNotCanceled(const void* waiter);
  // Keeps READABLE in step with the queue (both locks held).
  void SyncReadableLocked() REQUIRES(lock_, queue_lock_);
  IrqSpinLock queue_lock_ ACQUIRED_AFTER(lock_) ACQUIRED_BEFORE(sched::g_sched_lock);
  mica::List<PortPacketNode, &PortPacketNode::node> queue_ GUARDED_BY(queue_lock_);
  uint32_t user_packets_ GUARDED_BY(queue_lock_) = 0;
  mica::List<Waiter, &Waiter::node> waiting_ GUARDED_BY(queue_lock_);
  bool dead_ GUARDED_BY(queue_lock_) = false;  // no handles left: signal packets are dropped
  sched::WaitQueue waiters_;
};
