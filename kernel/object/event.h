// Events and event pairs: objects that are nothing but signals.
#pragma once

#include "kernel/object/dispatcher.h"

class EventDispatcher final : public Dispatcher {
 public:
  EventDispatcher() : Dispatcher(MICA_OBJ_TYPE_EVENT, 0) {}
  mica_rights_t default_rights() const override { return MICA_DEFAULT_EVENT_RIGHTS; }
  mica_signals_t user_signal_mask() const override {
    return MICA_SIGNAL_USER_ALL | MICA_EVENT_SIGNALED;
  }
};

class EventPairDispatcher final : public Dispatcher {
 public:
  // Creates two connected ends; false when out of memory.
  static bool CreatePair(mica::RefPtr<Dispatcher>* a, mica::RefPtr<Dispatcher>* b);
  mica_rights_t default_rights() const override { return MICA_DEFAULT_EVENTPAIR_RIGHTS; }
  mica_signals_t user_signal_mask() const override {
    return MICA_SIGNAL_USER_ALL | MICA_EVENTPAIR_SIGNALED;
  }
  uint64_t related_koid() const override { return peer_koid_; }
  mica::Status SignalPeer(mica_signals_t clear, mica_signals_t set) override;

 protected:
  void OnZeroHandles() override;

 private:
  EventPairDispatcher() : Dispatcher(MICA_OBJ_TYPE_EVENTPAIR, 0) {}
  IrqSpinLock peer_lock_;
  mica::RefPtr<EventPairDispatcher> peer_ GUARDED_BY(peer_lock_);
  uint64_t peer_koid_ = 0;
};
