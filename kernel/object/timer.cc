#include "kernel/object/timer.h"

#include "kernel/arch/arm64/timer.h"

TimerDispatcher::~TimerDispatcher() {
  sched::TimerCancel(&timer_);
}

void TimerDispatcher::Fire(sched::Timer*, void* arg) {
  static_cast<TimerDispatcher*>(arg)->UpdateSignals(0, MICA_TIMER_SIGNALED);
}

void TimerDispatcher::Set(uint64_t deadline) {
  sched::TimerCancel(&timer_);
  UpdateSignals(MICA_TIMER_SIGNALED, 0);
  if (deadline <= timer::NowNs()) {
    UpdateSignals(0, MICA_TIMER_SIGNALED);
    return;
  }
  sched::TimerArm(&timer_, deadline, Fire, this);
}

void TimerDispatcher::Cancel() {
  sched::TimerCancel(&timer_);
  UpdateSignals(MICA_TIMER_SIGNALED, 0);
}
