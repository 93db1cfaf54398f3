// IrqPump: a device interrupt delivered to a driver's async loop. A thread
// of its own waits in interrupt_wait (which unmasks the line, and masks it
// again when it fires), posts `handler` to the loop, and waits until the
// handler has run before it waits again, so the handler (on the loop's
// thread) drains the device before the line is unmasked: with a
// level-triggered virtio-mmio line nothing is lost and nothing spins.
//
// Contract: Start once; the pump runs until the process ends (a driver's
// process ends with its device). `handler` runs on the loop's thread only.
// User toolchain only.
#pragma once

#include <mica/async/loop.h>
#include <mica/rt/thread.h>
#include <mica/types.h>

namespace mica::virtio {

class IrqPump {
 public:
  using Handler = mica::async::InlineFunction<void()>;

  // Takes `irq` (an interrupt object); MICA_OK once the thread runs.
  mica_status_t Start(mica::async::Loop* loop, mica_handle_t irq, Handler handler);

  uint64_t interrupts() const { return interrupts_; }

 private:
  static int Main(void* self);

  mica::async::Loop* loop_ = nullptr;
  mica_handle_t irq_ = MICA_HANDLE_INVALID;
  mica_handle_t done_ = MICA_HANDLE_INVALID;  // an event: the handler ran
  Handler handler_;
  mica_rt_thread_t* thread_ = nullptr;
  uint64_t interrupts_ = 0;
};

}  // namespace mica::virtio
