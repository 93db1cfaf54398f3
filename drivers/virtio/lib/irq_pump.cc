// See irq_pump.h.
#include "drivers/virtio/lib/irq_pump.h"

#include <mica/syscalls.h>

namespace mica::virtio {

mica_status_t IrqPump::Start(mica::async::Loop* loop, mica_handle_t irq, Handler handler) {
  loop_ = loop;
  irq_ = irq;
  handler_ = static_cast<Handler&&>(handler);
  mica_status_t s = mica_event_create(0, &done_);
  if (s != MICA_OK) {
    return s;
  }
  return mica_rt_thread_create(&thread_, &IrqPump::Main, this, "irq", 0);
}

int IrqPump::Main(void* arg) {
  auto* self = static_cast<IrqPump*>(arg);
  for (;;) {
    mica_time_t when = 0;
    if (mica_interrupt_wait(self->irq_, &when) != MICA_OK) {
      return 1;
    }
    self->interrupts_++;
    if (self->loop_->PostTask([self] {
          self->handler_();
          (void)mica_object_signal(self->done_, 0, MICA_EVENT_SIGNALED);
        }) != MICA_OK) {
      return 1;
    }
    mica_signals_t seen = 0;
    if (mica_object_wait_one(self->done_, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, &seen) !=
        MICA_OK) {
      return 1;
    }
    (void)mica_object_signal(self->done_, MICA_EVENT_SIGNALED, 0);
  }
}

}  // namespace mica::virtio
