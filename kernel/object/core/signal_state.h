// SignalState: an object's signal word and the observers waiting on it.
//
// Every kernel object has a 32-bit signal word. Waiters (wait_one,
// wait_many, wait_async's port observers) register a SignalObserver with a
// trigger mask. UpdateSignals changes the word and tells each observer whose
// mask intersects the new word, through its callback; the callback answers
// whether the observer is done. An edge-triggered observer (set_edge) is told
// only when a signal of its mask rises (was clear in the old word, set in the
// new one), and when it registers while one is already asserted. The
// observer is unlinked while its callback
// runs (observing() is false) and linked back in place unless it is done,
// so a done observer may be freed by another thread as soon as its
// callback has handed it over.
//
// Locking: none inside. The owning object's lock protects the SignalState
// (declare it GUARDED_BY that lock); every method is called with it held,
// and callbacks run with it held. So a callback must be short and bounded:
// record the state, wake a thread or queue a port packet (locks that rank
// after object locks), and must not call back into this SignalState (it
// returns true instead of removing itself).
//
// Bounds: UpdateSignals and AddObserver call each observer at most once, so
// a notification is O(observers); RemoveObserver is O(1). The number of
// observers is bounded by their owners (each is embedded in a waiter that
// was charged for it).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"
#include "kernel/lib/list.h"
#include "kernel/object/core/types.h"

namespace mica::core {

class SignalObserver {
 public:
  // Called with the owning object's lock held, with the whole new signal
  // word, for an observer whose trigger mask intersects it. Returns true
  // if the observer is done (it is then removed from the list).
  using Callback = bool (*)(SignalObserver* self, Signals signals);

  SignalObserver(Signals trigger_mask, Callback callback)
      : trigger_mask_(trigger_mask), callback_(callback) {}
  SignalObserver(const SignalObserver&) = delete;
  SignalObserver& operator=(const SignalObserver&) = delete;
  ~SignalObserver() {
    MICA_DEBUG_ASSERT_MSG(!observing(), "a registered signal observer is being destroyed");
  }

  Signals trigger_mask() const { return trigger_mask_; }
  // Changes the mask of an observer that is not registered.
  void set_trigger_mask(Signals mask) {
    MICA_DEBUG_ASSERT(!observing());
    trigger_mask_ = mask;
  }
  // Edge-triggered: told only of rising signals (see the top). Set before
  // registering.
  bool edge() const { return edge_; }
  void set_edge(bool edge) {
    MICA_DEBUG_ASSERT(!observing());
    edge_ = edge;
  }
  // True while on a SignalState's list.
  bool observing() const { return signal_node.InContainer(); }

  bool OnStateChange(Signals signals) { return callback_(this, signals); }

  // Links the observer into a SignalState; owned by it.
  ListNode signal_node;

 private:
  Signals trigger_mask_;
  Callback callback_;
  bool edge_ = false;
};

class SignalState {
 public:
  explicit SignalState(Signals initial = 0) : signals_(initial) {}
  SignalState(const SignalState&) = delete;
  SignalState& operator=(const SignalState&) = delete;
  // The owner removes (and tells) every observer before it dies.
  ~SignalState() {
    MICA_DEBUG_ASSERT_MSG(observers_.empty(), "signal state destroyed with observers");
    observers_.clear();
  }

  Signals signals() const { return signals_; }
  size_t observer_count() const { return observers_.size(); }

  // Registers `observer` (not observing anything). If the current signals
  // already intersect its mask, its callback runs first, with them; if it
  // answers done, it is not registered. Returns whether it was registered.
  bool AddObserver(SignalObserver* observer);

  // Unregisters `observer` if it is registered (it must be registered here
  // or nowhere). Returns whether it was (false: a notification removed it
  // already).
  bool RemoveObserver(SignalObserver* observer);

  // signals = (signals & ~clear) | set. If that changed the word, calls
  // every level observer whose mask intersects the new word and every edge
  // observer whose mask intersects the bits that rose, in registration
  // order, removing those that answer done. Returns the new word.
  Signals UpdateSignals(Signals clear, Signals set);

  // Unregisters every observer for which `pred(SignalObserver*)` is true
  // (e.g. the waits through a handle being closed), without calling them;
  // the caller tells them (wait cancelled). Returns how many.
  template <typename Pred>
  size_t RemoveObserversIf(Pred&& pred) {
    size_t n = 0;
    for (auto it = observers_.begin(); it != observers_.end();) {
      SignalObserver* o = &*it;
      if (pred(o)) {
        it = observers_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

 private:
  Signals signals_;
  List<SignalObserver, &SignalObserver::signal_node> observers_;
};

}  // namespace mica::core
