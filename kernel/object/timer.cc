#include "kernel/object/timer.h"

#include "kernel/arch/arm64/timer.h"

TimerDispatcher::~TimerDispatcher() {
  sched::TimerCancel(&timer_);
  if (port_) {
    port_->RemoveBound(&slot_);
  }
}

void TimerDispatcher::Fire(sched::Timer*, void* arg) {
  static_cast<TimerDispatcher*>(arg)->Expired();
}

void TimerDispatcher::Expired() {
  UpdateSignals(0, MICA_TIMER_SIGNALED);
  PortDispatcher* port;
  mica_port_packet_t packet = {};
  {
    IrqGuard g(lock_);
    port = port_.get();
    packet.key = key_;
    packet.timer.deadline = static_cast<mica_time_t>(deadline_);
  }
  if (port != nullptr) {  // the binding lives as long as the timer
    packet.type = MICA_PKT_TYPE_TIMER;
    packet.status = MICA_OK;
    packet.timer.fired = static_cast<mica_time_t>(timer::NowNs());
    port->QueueBound(&slot_, packet);
  }
}

void TimerDispatcher::Set(uint64_t deadline) {
  sched::TimerCancel(&timer_);
  UpdateSignals(MICA_TIMER_SIGNALED, 0);
  {
    IrqGuard g(lock_);
    deadline_ = deadline;
  }
  if (deadline <= timer::NowNs()) {
    Expired();
    return;
  }
  sched::TimerArm(&timer_, deadline, Fire, this);
}

void TimerDispatcher::Cancel() {
  sched::TimerCancel(&timer_);
  UpdateSignals(MICA_TIMER_SIGNALED, 0);
}

mica::Status TimerDispatcher::Bind(mica::RefPtr<PortDispatcher> port, uint64_t key) {
  IrqGuard g(lock_);
  if (port_) {
    return mica::Status::kAlreadyBound;
  }
  slot_.bound = true;
  key_ = key;
  port_ = mica::Move(port);
  return mica::Status::kOk;
}
