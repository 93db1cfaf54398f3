// Timer objects: assert MICA_TIMER_SIGNALED at a deadline.
#pragma once

#include "kernel/object/dispatcher.h"
#include "kernel/object/port.h"
#include "kernel/sched/sched.h"

class TimerDispatcher final : public Dispatcher {
 public:
  TimerDispatcher() : Dispatcher(MICA_OBJ_TYPE_TIMER, 0) {}
  ~TimerDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_TIMER_RIGHTS; }
  // Clears SIGNALED and arms the timer for `deadline` (absolute ns); a
  // deadline already past signals at once. `slack` is accepted and ignored
  // (the timer is exact).
  void Set(uint64_t deadline);
  // Disarms the timer and clears SIGNALED.
  void Cancel();
  // timer_bind: from now on each expiry queues a MICA_PKT_TYPE_TIMER packet
  // with `key` on `port` (its memory is the binding's, reserved here).
  // kAlreadyBound if bound before.
  mica::Status Bind(mica::RefPtr<PortDispatcher> port, uint64_t key);

 private:
  static void Fire(sched::Timer* timer, void* arg);
  void Expired();
  sched::Timer timer_;
  // The binding; set once, then read by every expiry.
  mica::RefPtr<PortDispatcher> port_ GUARDED_BY(lock_);
  uint64_t key_ GUARDED_BY(lock_) = 0;
  uint64_t deadline_ GUARDED_BY(lock_) = 0;  // the last deadline set
  PortPacketNode slot_;
};
