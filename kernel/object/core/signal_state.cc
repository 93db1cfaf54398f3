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
  // Each observer is visited once: the iterator moves on before a callback
  // can have its observer unlinked.
  for (auto it = observers_.begin(); it != observers_.end();) {
    SignalObserver* o = &*it;
    ++it;
    if ((signals_ & o->trigger_mask()) != 0 && o->OnStateChange(signals_)) {
      observers_.remove(o);
    }
  }
  return signals_;
}

}  // namespace mica::core
