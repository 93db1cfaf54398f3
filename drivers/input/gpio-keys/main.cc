// bin/gpio-keys: the gpio-keys driver process (README.md). Binds
// `gpio-keys`. Its keys are the node's subnodes, whose properties the
// manager hands over as "<key>/gpios", "<key>/linux,code"
// (docs/drivers.md, "What a driver gets"). It resolves the controller the
// `gpios` phandle names through the manager (Context::ConnectPhandle,
// class `gpio`), asks it for #gpio-cells, decodes every key, arms each
// key's pin for both edges (Gpio.Watch) and turns Edge events into key
// events (GpioKeys over WatchedLines). Keys on different controllers are
// grouped by phandle (ControllerGroups): one connection, GpioKeys and
// WatchedLines per controller. A KEY_POWER press asks the manager for a
// power off through the Power protocol (manifest: `grant power`). When a
// controller's driver goes away (PEER_CLOSED), it connects again to its
// next instance and re-arms that controller's keys.
//
// Console lines:
//   gpio-keys: <path>: <n> keys ready on gpio phandle <p> (start <s>, connection <c>)
//   gpio-keys: key <code> pressed|released
//   gpio-keys: KEY_POWER pressed: asking for power off
//   gpio-keys: gpio closed: <status> [with a request in flight]; reconnecting
//   gpio-keys: told the system is going down (power off|reboot)
//
// Fault injection (`inject=<fault>`): the runtime's (<mica/driver/driver.h>).
#include <idl/gpio_ipc.h>
#include <idl/power_ipc.h>
#include <mica/driver/driver.h>
#include <mica/driver/status_name.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/input/gpio-keys/controller_groups.h"
#include "drivers/input/gpio-keys/gpio_keys.h"
#include "drivers/input/gpio-keys/watched_lines.h"
#include "drivers/lib/mica_status.h"

namespace {

using mica::driver::Context;
using mica::driver::NodeProperty;
using mica::driver::StatusName;
using mica::drivers::ToMicaStatus;
using mica::drivers::gpio_keys::ControllerGroups;
using mica::drivers::gpio_keys::DecodeKey;
using mica::drivers::gpio_keys::GpioKeys;
using mica::drivers::gpio_keys::KeyEvent;
using mica::drivers::gpio_keys::KeySpec;
using mica::drivers::gpio_keys::WatchedLines;
namespace gpio = ::idl::gpio;

constexpr mica_duration_t kRetry = 20'000'000;

struct KeyNode {
  NodeProperty gpios;
  NodeProperty code;
};

// One GPIO controller the keys name, served through its own connection.
struct Controller;

class Events final : public gpio::GpioEventHandler {
 public:
  explicit Events(Controller* c) : c_(c) {}
  void Edge(gpio::Gpio::EdgeEvent& e) override;

 private:
  Controller* c_;
};

struct Controller {
  Controller() : events(this) {}
  uint32_t group = 0;  // in g_groups
  uint32_t phandle = 0;
  GpioKeys keys{0};
  KeySpec specs[GpioKeys::kMaxKeys];
  uint32_t spec_count = 0;
  WatchedLines lines;
  gpio::GpioAsyncClient* client = nullptr;
  uint32_t in_flight = 0;  // Gpio requests sent and not answered
  uint32_t connections = 0;
  Events events;
};

Context* g_dev = nullptr;
KeyNode g_nodes[GpioKeys::kMaxKeys];
ControllerGroups g_groups;
Controller g_controllers[ControllerGroups::kMaxControllers];
::idl::power::PowerAsyncClient* g_power = nullptr;

void Connect(Controller& c);

// The key subnodes: every "<key>/gpios" with its "<key>/linux,code",
// grouped by the controller its first cell (the phandle) names.
mica_status_t FindKeys(const mica::driver::NodeInfo& node) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < node.property_count(); i++) {
    NodeProperty p;
    if (!node.PropertyAt(i, &p)) {
      continue;
    }
    const char* slash = strchr(p.name, '/');
    if (slash == nullptr || strcmp(slash + 1, "gpios") != 0) {
      continue;
    }
    char code_name[160];
    int n = snprintf(code_name, sizeof(code_name), "%.*s/linux,code",
                     static_cast<int>(slash - p.name), p.name);
    KeyNode k;
    k.gpios = p;
    uint32_t phandle = 0;
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(code_name) ||
        !node.FindProperty(code_name, &k.code) || !k.gpios.ReadU32(0, &phandle) ||
        g_groups.Add(count, phandle) != mica::drivers::Status::kOk) {
      printf("gpio-keys: key %.*s ignored: no linux,code or phandle, or too many keys\n",
             static_cast<int>(slash - p.name), p.name);
      continue;
    }
    g_nodes[count++] = k;
  }
  for (uint32_t g = 0; g < g_groups.count(); g++) {
    g_controllers[g].group = g;
    g_controllers[g].phandle = g_groups.phandle(g);
  }
  return g_groups.count() == 0 ? MICA_ERR_NOT_FOUND : MICA_OK;
}

// Power.ShuttingDown: the manager tells every Power client before it
// stops the drivers (docs/drivers.md, "Power").
class PowerEvents final : public ::idl::power::PowerEventHandler {
 public:
  void ShuttingDown(::idl::power::Power::ShuttingDownEvent& e) override {
    printf("gpio-keys: told the system is going down (%s)\n",
           e.action == ::idl::power::Action::REBOOT ? "reboot" : "power off");
  }
};
PowerEvents g_power_events;

void PowerOff() {
  if (g_power == nullptr) {
    printf("gpio-keys: KEY_POWER pressed, but no power grant\n");
    return;
  }
  printf("gpio-keys: KEY_POWER pressed: asking for power off\n");
  ::idl::power::Power::ShutdownRequest req;
  req.action = ::idl::power::Action::POWEROFF;
  (void)g_power->Shutdown(req, [](mica_status_t s, ::idl::power::Power::ShutdownResponse* r) {
    printf("gpio-keys: power off refused: %s\n", StatusName(s != MICA_OK ? s : r->status));
  });
}

void Events::Edge(gpio::Gpio::EdgeEvent& e) {
  if (e.pin >= WatchedLines::kMaxLines) {
    return;
  }
  c_->lines.SetLevel(e.pin, e.high);
  KeyEvent events[4];
  size_t n = c_->keys.OnGpioInterrupt(1u << e.pin, events, 4);
  for (size_t i = 0; i < n; i++) {
    printf("gpio-keys: key %u %s\n", events[i].code, events[i].pressed ? "pressed" : "released");
    if (events[i].code == mica::drivers::gpio_keys::kKeyPower && events[i].pressed) {
      PowerOff();
    }
  }
}

void Retry(Controller& c) {
  Controller* p = &c;
  (void)g_dev->loop().PostTaskAfter([p] { Connect(*p); }, kRetry);
}

// The controller's driver went away (or answered wrongly): drop the
// connection and open the service again.
void Lost(Controller& c, mica_status_t s) {
  printf("gpio-keys: gpio closed: %s%s; reconnecting\n", StatusName(s),
         c.in_flight != 0 ? " with a request in flight" : "");
  gpio::GpioAsyncClient* old = c.client;
  c.client = nullptr;
  c.in_flight = 0;
  (void)g_dev->loop().PostTask([old] { delete old; });
  Retry(c);
}

void Armed(Controller& c) {
  if (--c.in_flight != 0) {
    return;
  }
  mica_status_t s = ToMicaStatus(c.keys.Start(c.lines));
  if (s != MICA_OK) {
    printf("gpio-keys: starting the keys failed: %s\n", StatusName(s));
    return;
  }
  printf("gpio-keys: %s: %u keys ready on gpio phandle 0x%x (start %u, connection %u)\n",
         g_dev->node_path(), static_cast<unsigned>(c.keys.key_count()), c.phandle,
         g_dev->start_count(), c.connections);
}

// Decodes the controller's keys with its #gpio-cells.
void DecodeKeys(Controller& c, uint32_t gpio_cells) {
  c.keys = GpioKeys(c.phandle);
  c.spec_count = 0;
  for (uint32_t i = 0; i < g_groups.key_count(c.group); i++) {
    const KeyNode& node = g_nodes[g_groups.key(c.group, i)];
    KeySpec spec;
    mica::drivers::gpio_keys::Property gpios{node.gpios.value, node.gpios.size};
    mica::drivers::gpio_keys::Property code{node.code.value, node.code.size};
    mica_status_t s = ToMicaStatus(DecodeKey(gpios, code, gpio_cells, &spec));
    if (s == MICA_OK) {
      s = ToMicaStatus(c.keys.AddKey(spec));
    }
    if (s != MICA_OK) {
      printf("gpio-keys: key %u ignored: %s\n", g_groups.key(c.group, i), StatusName(s));
      continue;
    }
    c.specs[c.spec_count++] = spec;
  }
}

// GetInfo answered: decode the keys and arm each one's pin.
void Arm(Controller& c, uint32_t pin_count, uint32_t gpio_cells) {
  c.lines.Reset(pin_count);
  DecodeKeys(c, gpio_cells);
  Controller* p = &c;
  c.in_flight = 1;  // held until every Watch is sent
  for (uint32_t i = 0; i < c.spec_count; i++) {
    gpio::Gpio::WatchRequest w;
    w.pin = c.specs[i].pin;
    w.edges = gpio::Edges::RISING | gpio::Edges::FALLING;
    uint32_t pin = w.pin;
    c.in_flight++;
    if (c.client->Watch(w, [p, pin](mica_status_t s, gpio::Gpio::WatchResponse* r) {
          if (s == MICA_OK && r->status == MICA_OK) {
            p->lines.Armed(pin, r->high);
          } else if (s == MICA_OK) {
            printf("gpio-keys: watching pin %u failed: %s\n", pin, StatusName(r->status));
          }
          if (s == MICA_OK) {
            Armed(*p);
          }
        }) != MICA_OK) {
      c.in_flight--;
    }
  }
  Armed(c);
}

void Serve(Controller& c, mica::Handle channel) {
  Controller* p = &c;
  c.connections++;
  c.client = new gpio::GpioAsyncClient(&g_dev->loop(), mica::Channel(channel.release()), &c.events);
  c.client->set_error_handler([p](mica_status_t s) { Lost(*p, s); });
  if (c.client->Begin() != MICA_OK) {
    Lost(c, MICA_ERR_BAD_STATE);
    return;
  }
  gpio::Gpio::GetInfoRequest req;
  c.in_flight = 1;
  mica_status_t s = c.client->GetInfo(req, [p](mica_status_t s, gpio::Gpio::GetInfoResponse* r) {
    if (s == MICA_OK) {
      p->in_flight = 0;
      Arm(*p, r->pin_count, r->gpio_cells);
    }
  });
  if (s != MICA_OK) {
    Lost(c, s);
  }
}

// Opens the `gpio` service of the controller `c`'s phandle names.
void Connect(Controller& c) {
  mica::Handle mine, theirs;
  if (mica_channel_create(0, mine.reset_and_get_address(), theirs.reset_and_get_address()) !=
      MICA_OK) {
    Retry(c);
    return;
  }
  Controller* p = &c;
  mica_handle_t raw = mine.release();
  mica_status_t s = g_dev->ConnectPhandle<idl::gpio::Gpio>(
      c.phandle, "gpio", static_cast<mica::Handle&&>(theirs), [p, raw](mica_status_t s) {
        mica::Handle ours(raw);
        if (s == MICA_OK) {
          Serve(*p, static_cast<mica::Handle&&>(ours));
        } else {
          Retry(*p);
        }
      });
  if (s != MICA_OK) {
    mica_handle_close(raw);
    Retry(c);
  }
}

mica_status_t Bind(Context& dev) {
  g_dev = &dev;
  MICA_TRY(FindKeys(dev.node()));
  mica::Handle power;
  if (dev.TakePower(&power) == MICA_OK) {
    g_power = new ::idl::power::PowerAsyncClient(&dev.loop(), mica::Channel(power.release()),
                                                 &g_power_events);
    MICA_TRY(g_power->Begin());
  }
  for (uint32_t g = 0; g < g_groups.count(); g++) {
    Connect(g_controllers[g]);
  }
  return MICA_OK;
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
