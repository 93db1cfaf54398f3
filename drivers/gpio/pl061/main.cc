// bin/pl061: the PL061 GPIO driver process (README.md). Binds `arm,pl061`,
// checks the device, and publishes class `gpio`: the IDL Gpio protocol
// (system/idl/gpio.idl) on every client connection. A pin is watched by one
// connection at a time; its edges reach that connection as Edge events.
// A thread waits on the node's interrupt (the PL061's combined GPIOINTR,
// TRM §2.4), takes the fired pins (Pl061::OnInterrupt, which clears the
// edges) and their levels, and hands them to the loop, which sends the
// events. When a connection closes, the pins it watched are disarmed.
//
// Console lines: `pl061: <path> up, <n> pins (start <s>)`.
//
// Fault injection (`inject=<fault>`, docs/drivers.md "Fault injection"):
// the runtime's (<mica/driver/driver.h>); for `stall` the held request is
// the next Read, Write or Watch on a gpio connection.
#include <idl/gpio_ipc.h>
#include <mica/driver/driver.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/gpio/pl061/pl061.h"
#include "drivers/lib/mica_status.h"

namespace {

using mica::driver::Context;
using mica::drivers::ToMicaStatus;
using mica::drivers::gpio::Trigger;
using mica::drivers::pl061::Pl061;
namespace gpio = ::idl::gpio;

mica::driver::MmioRegion g_regs;
Pl061 g_gpio(g_regs);
mica_rt_mutex_t g_lock = MICA_RT_MUTEX_INIT;  // the registers: loop and interrupt thread
mica::Handle g_irq;
Context* g_dev = nullptr;
uint32_t g_gpio_cells = 2;

class Connection;
Connection* g_watcher[Pl061::kLines] = {};

// Runs `f` with the register lock held.
template <typename F>
auto Locked(F f) {
  mica_rt_mutex_lock(&g_lock);
  auto r = f();
  mica_rt_mutex_unlock(&g_lock);
  return r;
}

// One client's connection: the Gpio protocol over its channel.
class Connection final : public gpio::GpioServer {
 public:
  Connection(mica::async::Loop* loop, mica::Channel channel)
      : GpioServer(loop, static_cast<mica::Channel&&>(channel)) {}
  ~Connection() override {
    for (uint32_t pin = 0; pin < Pl061::kLines; pin++) {
      if (g_watcher[pin] == this) {
        (void)Locked([pin] { return g_gpio.ConfigureInput(pin, Trigger::kNone); });
        g_watcher[pin] = nullptr;
      }
    }
  }

  void GetInfo(gpio::Gpio::GetInfoRequest&, GetInfoCompleter done) override {
    gpio::Gpio::GetInfoResponse r;
    r.pin_count = Pl061::kLines;
    r.gpio_cells = g_gpio_cells;
    done.Reply(r);
  }

  void Configure(gpio::Gpio::ConfigureRequest& req, ConfigureCompleter done) override {
    gpio::Gpio::ConfigureResponse r;
    r.status = Check(req.pin);
    if (r.status == MICA_OK) {
      uint8_t bit = static_cast<uint8_t>(1u << req.pin);
      uint8_t out = req.direction == gpio::Direction::OUT ? bit : 0;
      r.status = ToMicaStatus(Locked([bit, out] { return g_gpio.SetDirection(bit, out); }));
    }
    done.Reply(r);
  }

  void Read(gpio::Gpio::ReadRequest& req, ReadCompleter done) override {
    if (g_dev->StallRequest()) {
      return;
    }
    gpio::Gpio::ReadResponse r;
    r.status = req.pin < Pl061::kLines ? MICA_OK : MICA_ERR_OUT_OF_RANGE;
    if (r.status == MICA_OK) {
      uint32_t pin = req.pin;
      bool high = false;
      r.status = ToMicaStatus(Locked([pin, &high] { return g_gpio.ReadLine(pin, &high); }));
      r.high = high;
    }
    done.Reply(r);
  }

  void Write(gpio::Gpio::WriteRequest& req, WriteCompleter done) override {
    gpio::Gpio::WriteResponse r;
    r.status = Check(req.pin);
    if (r.status == MICA_OK) {
      uint8_t bit = static_cast<uint8_t>(1u << req.pin);
      uint8_t value = req.high ? bit : 0;
      r.status = ToMicaStatus(Locked([bit, value] { return g_gpio.Write(bit, value); }));
    }
    done.Reply(r);
  }

  void Watch(gpio::Gpio::WatchRequest& req, WatchCompleter done) override {
    if (g_dev->StallRequest()) {
      return;
    }
    gpio::Gpio::WatchResponse r;
    r.status = Check(req.pin);
    if (r.status == MICA_OK) {
      uint32_t pin = req.pin;
      Trigger t = TriggerOf(req.edges);
      bool high = false;
      r.status = ToMicaStatus(Locked([pin, t, &high] {
        mica::drivers::Status s = g_gpio.ConfigureInput(pin, t);
        return mica::drivers::Ok(s) ? g_gpio.ReadLine(pin, &high) : s;
      }));
      r.high = high;
      g_watcher[pin] = r.status == MICA_OK && t != Trigger::kNone ? this : nullptr;
    }
    done.Reply(r);
  }

 private:
  // A pin this connection may change: in range, not watched by another.
  mica_status_t Check(uint32_t pin) const {
    if (pin >= Pl061::kLines) {
      return MICA_ERR_OUT_OF_RANGE;
    }
    return g_watcher[pin] == nullptr || g_watcher[pin] == this ? MICA_OK : MICA_ERR_ALREADY_BOUND;
  }

  static Trigger TriggerOf(gpio::Edges edges) {
    bool rising = (static_cast<uint8_t>(edges) & static_cast<uint8_t>(gpio::Edges::RISING)) != 0;
    bool falling = (static_cast<uint8_t>(edges) & static_cast<uint8_t>(gpio::Edges::FALLING)) != 0;
    if (rising && falling) {
      return Trigger::kEdgeBoth;
    }
    return rising ? Trigger::kEdgeRising : falling ? Trigger::kEdgeFalling : Trigger::kNone;
  }
};

// On the loop: Edge events for the fired pins that are watched.
void SendEdges(uint8_t fired, uint8_t levels, mica_time_t when) {
  for (uint32_t pin = 0; pin < Pl061::kLines; pin++) {
    if ((fired & (1u << pin)) != 0 && g_watcher[pin] != nullptr) {
      gpio::Gpio::EdgeEvent e;
      e.pin = pin;
      e.high = (levels & (1u << pin)) != 0;
      e.timestamp = when;
      (void)g_watcher[pin]->SendEdge(e);
    }
  }
}

int InterruptThread(void*) {
  for (;;) {
    if (mica_interrupt_wait(g_irq.get(), nullptr) != MICA_OK) {
      return 1;
    }
    mica_time_t when = 0;
    mica_clock_get_monotonic(&when);
    uint8_t levels = 0;
    uint8_t fired = Locked([&levels] {
      uint8_t f = g_gpio.OnInterrupt();
      (void)g_gpio.Read(0xff, &levels);
      return f;
    });
    if (fired != 0) {
      (void)g_dev->loop().PostTask([fired, levels, when] { SendEdges(fired, levels, when); });
    }
  }
}

mica_status_t Bind(Context& dev) {
  g_dev = &dev;
  MICA_TRY(dev.MapMmio(0, &g_regs));
  MICA_TRY(ToMicaStatus(g_gpio.Init()));
  mica::driver::NodeProperty cells;
  if (dev.node().FindProperty("#gpio-cells", &cells) && !cells.ReadU32(0, &g_gpio_cells)) {
    return MICA_ERR_IO_DATA_INTEGRITY;
  }
  MICA_TRY(dev.TakeInterrupt(0, &g_irq));
  mica_rt_thread_t* thread = nullptr;
  MICA_TRY(mica_rt_thread_create(&thread, InterruptThread, nullptr, "pl061-irq", 0));
  printf("%s: %s up, %u pins (start %u)\n", dev.name(), dev.node_path(), Pl061::kLines,
         dev.start_count());
  return dev.Publish<idl::gpio::Gpio>("gpio", [&dev](mica::Handle client) {
    auto* c = new Connection(&dev.loop(), mica::Channel(client.release()));
    c->set_error_handler([c](mica_status_t) { delete c; });
    if (c->Begin() != MICA_OK) {
      delete c;
    }
  });
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
