// Kernel objects: the base class every object that handles can name derives
// from (DESIGN.md §4). An object has a koid that is never reused, a type, a
// signal word with observers (waits and wait_async), and a count of the
// handles that name it (in processes and in channel messages).
//
// Lock order: ChannelShared::lock -> Dispatcher::lock_ -> the scheduler
// lock. Observers' callbacks run under lock_ and may only wake threads.
#pragma once

#include <mica/types.h>

#include "kernel/lib/ref_counted.h"
#include "kernel/lib/status.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/koid.h"
#include "kernel/object/core/signal_state.h"
#include "kernel/top/spinlock.h"

struct AsyncWait;
class PortDispatcher;

// The link by which a source object lists its pending async waits.
struct AsyncWaitLink {
  mica::ListNode source_node;
};

class Dispatcher : public mica::RefCounted<Dispatcher> {
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
  mica::Status WaitOne(mica_signals_t want, uint64_t deadline, mica_signals_t* observed);

  // object_wait_many: waits until any object has any of its `want` signals
  // or the deadline passes; `seen` gets every object's signals at the end.
  // With no objects it just sleeps until the deadline (kTimedOut).
  static mica::Status WaitMany(const mica::RefPtr<Dispatcher>* objects, const mica_signals_t* want,
                               size_t n, uint64_t deadline, mica_signals_t* seen);

  // object_wait_async: registers `wait` (which may fire at once). The
  // source keeps it until it fires, is cancelled, or the last handle goes.
  void AddAsyncWait(AsyncWait* wait);
  // port_cancel: removes pending registrations for `port` and `key`; returns
  // how many.
  size_t CancelAsyncWaits(const PortDispatcher* port, uint64_t key);
  // Called from a firing AsyncWait under lock_.
  void AsyncWaitFiredLocked(AsyncWait* wait) REQUIRES(lock_);

  // Handle accounting: the last handle going away runs OnZeroHandles.
  void AddHandleRef();
  void RemoveHandleRef();
  uint32_t handle_count() const { return __atomic_load_n(&handle_count_, __ATOMIC_RELAXED); }

  // Name property (MICA_PROP_NAME).
  void GetName(char out[MICA_MAX_NAME_LEN]) const;
  void SetName(const char* name, size_t len);

 protected:
  virtual void OnZeroHandles() {}
  mutable IrqSpinLock lock_;

 private:
  const mica_obj_type_t type_;
  const uint64_t koid_;
  mica::core::SignalState signals_ GUARDED_BY(lock_);
  uint32_t handle_count_ = 0;
  char name_[MICA_MAX_NAME_LEN] GUARDED_BY(lock_) = {};
  // Pending object_wait_async registrations (each also an observer).
  mica::List<AsyncWaitLink, &AsyncWaitLink::source_node> async_waits_ GUARDED_BY(lock_);
};

using HandleEntry = mica::core::HandleEntry<Dispatcher>;
using HandleTable = mica::core::HandleTable<Dispatcher, IrqSavingSpinLock>;

// A handle entry for a new object with its default rights.
HandleEntry MakeHandle(mica::RefPtr<Dispatcher> object);
