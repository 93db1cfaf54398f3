// Kernel objects: the base class every object that handles can name derives
// from (DESIGN.md §4). An object has a koid that is never reused, a type, a
// signal word with observers (waits and wait_async), and a count of the
// handles that name it (in processes and in channel messages).
//
// Lock order: ChannelShared::lock -> Dispatcher::lock_ -> the scheduler
// lock. Observers' callbacks run under lock_ and may only wake threads.
#pragma once

#include <mica/types.h>

#include "kernel/base/irq_spinlock.h"
#include "kernel/lib/alloc_checker.h"
#include "kernel/lib/ref_counted.h"
#include "kernel/lib/status.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/koid.h"
#include "kernel/object/core/signal_state.h"
#include "kernel/sched/sched.h"

struct AsyncWait;
class PortDispatcher;

// The handle a wait was made through: closing that handle ends the wait
// with kCanceled (handle_close). `owner` is the Process whose table holds
// the handle; a kernel-internal wait has owner nullptr and is never
// cancelled this way.
struct WaitThrough {
  // As the handle argument of Matches/CancelWaitsThrough: every handle of
  // the owner (a process that died).
  static constexpr uint32_t kAnyHandle = 0;
  const void* owner = nullptr;
  uint32_t handle = 0;
  bool Matches(const void* o, uint32_t h) const {
    return owner != nullptr && owner == o && (h == kAnyHandle || handle == h);
  }
};

// Every signal observer on a Dispatcher is one of these: it knows the handle
// it waits through and how to end itself when that handle closes
// (`on_cancel` runs under the object's lock, like the notification).
struct HandleObserver : mica::core::SignalObserver {
  HandleObserver(mica::core::Signals trigger, Callback callback, void (*cancel)(HandleObserver*))
      : SignalObserver(trigger, callback), on_cancel(cancel) {}
  WaitThrough through;
  void (*on_cancel)(HandleObserver*);
};

// The link by which a source object lists its pending async waits.
struct AsyncWaitLink {
  mica::ListNode source_node;
};

// (The DeferredNode base is the object's link in its releasing thread's
// deferred queue: see RemoveHandleRef.)
class Dispatcher : public mica::RefCounted<Dispatcher>, private sched::DeferredNode {
 public:
  Dispatcher(mica_obj_type_t type, mica_signals_t initial_signals);
  virtual ~Dispatcher();

  mica_obj_type_t type() const { return type_; }
  uint64_t koid() const { return koid_; }
  // The peer's or parent's koid for get_info (0 if none).
  virtual uint64_t related_koid() const { return 0; }
  // The rights a new handle to a freshly created object gets.
  virtual mica_rights_t default_rights() const = 0;

  mica_signals_t signals() const;
  // Clears then sets signal bits and runs the observers that now match.
  void UpdateSignals(mica_signals_t clear, mica_signals_t set);
  // The bits object_signal may change on this object.
  virtual mica_signals_t user_signal_mask() const { return MICA_SIGNAL_USER_ALL; }
  // object_signal_peer: kNotSupported unless the object has a peer.
  virtual mica::Status SignalPeer(mica_signals_t clear, mica_signals_t set);

  // Waits until any of `want` is asserted or `deadline` passes (absolute ns,
  // UINT64_MAX for never). *observed gets the signals at the end either way.
  // kCanceled if `through` is closed meanwhile.
  mica::Status WaitOne(mica_signals_t want, uint64_t deadline, mica_signals_t* observed,
                       WaitThrough through = {});

  // object_wait_many: waits until any object has any of its `want` signals
  // or the deadline passes; `seen` gets every object's signals at the end.
  // With no objects it just sleeps until the deadline (kTimedOut).
  // kCanceled if one of the handles (`through[i]`, may be null) is closed
  // meanwhile.
  static mica::Status WaitMany(const mica::RefPtr<Dispatcher>* objects, const mica_signals_t* want,
                               size_t n, uint64_t deadline, mica_signals_t* seen,
                               const WaitThrough* through = nullptr);

  // object_wait_async: registers `wait` (which may fire at once). The
  // source keeps it until it fires, is cancelled, or the last handle goes.
  void AddAsyncWait(AsyncWait* wait);
  // port_cancel: removes pending registrations for `port` and `key`; returns
  // how many.
  size_t CancelAsyncWaits(const PortDispatcher* port, uint64_t key);
  // Called from a firing AsyncWait under lock_.
  void AsyncWaitFiredLocked(AsyncWait* wait) REQUIRES(lock_);
  // Calls fn(link, signals) for the pending registrations (an
  // AsyncWaitLink of each AsyncWait, kernel/object/port.h), under lock_,
  // until one returns true (which this returns).
  template <typename Fn>
  bool AnyAsyncWait(Fn fn) {
    IrqGuard guard(lock_);
    for (AsyncWaitLink& link : async_waits_) {
      if (fn(&link, signals_.signals())) {
        return true;
      }
    }
    return false;
  }

  // The handle `handle` of `owner` (a Process) that names this object was
  // closed: waits made through it end with kCanceled and the wait_async
  // registrations made through it are removed. Subclasses with their own
  // waits (channel_call, port_wait) extend OnHandleClosed.
  void CancelWaitsThrough(const void* owner, uint32_t handle);

  // Handle accounting: the last handle going away runs OnZeroHandles.
  //
  // Destruction order (R1): the reactions to a last handle going can nest
  // without bound (a channel endpoint's queue holds messages carrying
  // endpoints whose queues hold messages ...). They never recurse: the
  // outermost RemoveHandleRef on a thread runs its object's reaction, and
  // any object whose last handle goes meanwhile, on that thread, is queued
  // (with a reference) on the thread's DeferredQueue and handled after,
  // in FIFO order, by the same loop. The kernel stack stays bounded at any
  // depth; everything is done before the outermost call returns, so
  // handle_close, a process's death and a message's destruction have the
  // same visible effects as before (PEER_CLOSED raised, queues drained).
  // Must be called without spin locks held (the reactions take locks).
  void AddHandleRef();
  void RemoveHandleRef();
  uint32_t handle_count() const { return handle_count_.load(mica::kRelaxed); }

  // Name property (MICA_PROP_NAME).
  void GetName(char out[MICA_MAX_NAME_LEN]) const;
  void SetName(const char* name, size_t len);

 protected:
  virtual void OnZeroHandles() {}
  // After a handle is released while others remain (`remaining` of them).
  // Channels use it to notice endpoints left with handles only in flight
  // (channel_gc.h).
  virtual void OnHandleReleased(uint32_t remaining) {}
  virtual void OnHandleClosed(const void* owner, uint32_t handle) {}
  // UpdateSignals for a subclass that already holds lock_.
  void UpdateSignalsLocked(mica_signals_t clear, mica_signals_t set) REQUIRES(lock_) {
    signals_.UpdateSignals(clear, set);
  }
  mica_signals_t signals_locked() const REQUIRES(lock_) { return signals_.signals(); }
  mutable IrqSpinLock lock_ ACQUIRED_BEFORE(sched::g_sched_lock);

 private:
  // Runs the reactions to the last handle going (see RemoveHandleRef).
  void ZeroHandles();
  static Dispatcher* FromDeferred(sched::DeferredNode* n) { return static_cast<Dispatcher*>(n); }

  const mica_obj_type_t type_;
  const uint64_t koid_;
  mica::core::SignalState signals_ GUARDED_BY(lock_);
  mica::Atomic<uint32_t> handle_count_;
  char name_[MICA_MAX_NAME_LEN] GUARDED_BY(lock_) = {};
  // Pending object_wait_async registrations (each also an observer).
  mica::List<AsyncWaitLink, &AsyncWaitLink::source_node> async_waits_ GUARDED_BY(lock_);
  // Which handles (owner and value) and which owners may have a wait made
  // through them on this object: one bit per hash, set as a wait registers,
  // rebuilt from what is left by every scan. Closing a handle that no wait
  // was made through then skips CancelWaitsThrough's walk of every wait
  // (with IRQs off): R1's exhaust scenario closed 65,437 duplicates of an
  // event holding 7,735 wait_asyncs made through one other handle, which
  // walked them all for each close (17 s on virt with 4 CPUs).
  uint64_t through_handles_ GUARDED_BY(lock_) = 0;
  uint64_t through_owners_ GUARDED_BY(lock_) = 0;
  void NoteThroughLocked(const WaitThrough& through) REQUIRES(lock_);
};

using HandleEntry = mica::core::HandleEntry<Dispatcher>;
using HandleTable = mica::core::HandleTable<Dispatcher, IrqSavingSpinLock>;

// A handle entry for a new object with its default rights.
HandleEntry MakeHandle(mica::RefPtr<Dispatcher> object);
