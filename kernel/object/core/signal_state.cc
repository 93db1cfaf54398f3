#include "kernel/object/core/signal_state.h"

namespace mica::core {

bool SignalState::AddObserver(SignalObserver* observer) {
  MICA_ASSERT(!observer->observing());
  if ((signals_ & observer->trigger_mask()) != 0 && observer->OnStateChange(signals_)) {
    return false;
  }
  observers_.push_back(observer);
  return true;
}

bool SignalState::RemoveObserver(SignalObserver* observer) {
  if (!observer->observing()) {
    return false;
  }
  observers_.remove(observer);
  return true;
}

Signals SignalState::UpdateSignals(Signals clear, Signals set) {
  Signals old = signals_;
  signals_ = (old & ~clear) | set;
  if (signals_ == old) {
    return signals_;
  }
  const Signals rose = signals_ & ~old;
  // Each observer is visited once. It is unlinked before its callback
  // runs and linked back in its place only if it answers "not done": one
  // that is done may be freed by whoever its callback woke (a port reader
  // taking the packet of a wait_async) before the callback even returns.
  for (auto it = observers_.begin(); it != observers_.end();) {
    SignalObserver* o = &*it;
    ++it;
    if (((o->edge() ? rose : signals_) & o->trigger_mask()) != 0) {
      observers_.remove(o);
      if (!o->OnStateChange(signals_)) {
        observers_.insert(it, o);
      }
    }
  }
  return signals_;
}

}  // namespace mica::core
