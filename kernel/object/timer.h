// Timer objects: assert MICA_TIMER_SIGNALED at a deadline.
#pragma once

#include "kernel/object/dispatcher.h"
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

 private:
  static void Fire(sched::Timer* timer, void* arg);
  sched::Timer timer_;
};
