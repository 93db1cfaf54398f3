// bin/gpio-keys: the gpio-keys driver process (README.md). Binds
// `gpio-keys`. Its keys are the node's subnodes, whose properties the
// manager hands over as "<key>/gpios", "<key>/linux,code"
// (docs/drivers.md, "What a driver gets"). It resolves the controller the
// `gpios` phandle names through the manager (Context::ConnectPhandle,
// class `gpio`), asks it for #gpio-cells, decodes every key, arms each
// key's pin for both edges (Gpio.Watch) and turns Edge events into key
// events (GpioKeys over WatchedLines). A KEY_POWER press asks the manager
// for a power off through the Power protocol (manifest: `grant power`).
// When the controller's driver goes away (PEER_CLOSED), it connects again
// to its next instance and re-arms the keys.
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

#include "drivers/input/gpio-keys/gpio_keys.h"
#include "drivers/input/gpio-keys/watched_lines.h"
#include "drivers/lib/mica_status.h"

namespace {

using mica::driver::Context;
using mica::driver::NodeProperty;
using mica::driver::StatusName;
using mica::drivers::ToMicaStatus;
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

Context* g_dev = nullptr;
KeyNode g_nodes[GpioKeys::kMaxKeys];
uint32_t g_node_count = 0;
uint32_t g_phandle = 0;
GpioKeys g_keys(0);
KeySpec g_specs[GpioKeys::kMaxKeys];
uint32_t g_spec_count = 0;
WatchedLines g_lines;
gpio::GpioAsyncClient* g_gpio = nullptr;
uint32_t g_in_flight = 0;  // Gpio requests sent and not answered
uint32_t g_connections = 0;
::idl::power::PowerAsyncClient* g_power = nullptr;

void Connect();

// The key subnodes: every "<key>/gpios" with its "<key>/linux,code".
mica_status_t FindKeys(const mica::driver::NodeInfo& node) {
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
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(code_name) ||
        !node.FindProperty(code_name, &k.code) || g_node_count == GpioKeys::kMaxKeys) {
      printf("gpio-keys: key %.*s ignored: no linux,code, or too many keys\n",
             static_cast<int>(slash - p.name), p.name);
      continue;
    }
    g_nodes[g_node_count++] = k;
  }
  if (g_node_count == 0 || !g_nodes[0].gpios.ReadU32(0, &g_phandle)) {
    return MICA_ERR_NOT_FOUND;
  }
  return MICA_OK;
}

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

class Events final : public gpio::GpioEventHandler {
 public:
  void Edge(gpio::Gpio::EdgeEvent& e) override {
    if (e.pin >= WatchedLines::kMaxLines) {
      return;
    }
    g_lines.SetLevel(e.pin, e.high);
    KeyEvent events[4];
    size_t n = g_keys.OnGpioInterrupt(1u << e.pin, events, 4);
    for (size_t i = 0; i < n; i++) {
      printf("gpio-keys: key %u %s\n", events[i].code, events[i].pressed ? "pressed" : "released");
      if (events[i].code == mica::drivers::gpio_keys::kKeyPower && events[i].pressed) {
        PowerOff();
      }
    }
  }
};
Events g_events;

void Retry() {
  (void)g_dev->loop().PostTaskAfter([] { Connect(); }, kRetry);
}

// The controller's driver went away (or answered wrongly): drop the
// connection and open the service again.
void Lost(mica_status_t s) {
  printf("gpio-keys: gpio closed: %s%s; reconnecting\n", StatusName(s),
         g_in_flight != 0 ? " with a request in flight" : "");
  gpio::GpioAsyncClient* old = g_gpio;
  g_gpio = nullptr;
  g_in_flight = 0;
  (void)g_dev->loop().PostTask([old] { delete old; });
  Retry();
}

void Armed() {
  if (--g_in_flight != 0) {
    return;
  }
  mica_status_t s = ToMicaStatus(g_keys.Start(g_lines));
  if (s != MICA_OK) {
    printf("gpio-keys: starting the keys failed: %s\n", StatusName(s));
    return;
  }
  printf("gpio-keys: %s: %u keys ready on gpio phandle 0x%x (start %u, connection %u)\n",
         g_dev->node_path(), static_cast<unsigned>(g_keys.key_count()), g_phandle,
         g_dev->start_count(), g_connections);
}

// GetInfo answered: decode the keys with the controller's #gpio-cells and
// arm each one's pin.
void Arm(uint32_t pin_count, uint32_t gpio_cells) {
  g_keys = GpioKeys(g_phandle);
  g_lines.Reset(pin_count);
  g_spec_count = 0;
  for (uint32_t i = 0; i < g_node_count; i++) {
    KeySpec spec;
    mica::drivers::gpio_keys::Property gpios{g_nodes[i].gpios.value, g_nodes[i].gpios.size};
    mica::drivers::gpio_keys::Property code{g_nodes[i].code.value, g_nodes[i].code.size};
    mica_status_t s = ToMicaStatus(DecodeKey(gpios, code, gpio_cells, &spec));
    if (s == MICA_OK) {
      s = ToMicaStatus(g_keys.AddKey(spec));
    }
    if (s != MICA_OK) {
      printf("gpio-keys: key %u ignored: %s\n", i, StatusName(s));
      continue;
    }
    g_specs[g_spec_count++] = spec;
  }
  g_in_flight = 1;  // held until every Watch is sent
  for (uint32_t i = 0; i < g_spec_count; i++) {
    gpio::Gpio::WatchRequest w;
    w.pin = g_specs[i].pin;
    w.edges = gpio::Edges::RISING | gpio::Edges::FALLING;
    uint32_t pin = w.pin;
    g_in_flight++;
    if (g_gpio->Watch(w, [pin](mica_status_t s, gpio::Gpio::WatchResponse* r) {
          if (s == MICA_OK && r->status == MICA_OK) {
            g_lines.Armed(pin, r->high);
          } else if (s == MICA_OK) {
            printf("gpio-keys: watching pin %u failed: %s\n", pin, StatusName(r->status));
          }
          if (s == MICA_OK) {
            Armed();
          }
        }) != MICA_OK) {
      g_in_flight--;
    }
  }
  Armed();
}

void Serve(mica::Handle channel) {
  g_connections++;
  g_gpio = new gpio::GpioAsyncClient(&g_dev->loop(), mica::Channel(channel.release()), &g_events);
  g_gpio->set_error_handler([](mica_status_t s) { Lost(s); });
  if (g_gpio->Begin() != MICA_OK) {
    Lost(MICA_ERR_BAD_STATE);
    return;
  }
  gpio::Gpio::GetInfoRequest req;
  g_in_flight = 1;
  mica_status_t s = g_gpio->GetInfo(req, [](mica_status_t s, gpio::Gpio::GetInfoResponse* r) {
    if (s == MICA_OK) {
      g_in_flight = 0;
      Arm(r->pin_count, r->gpio_cells);
    }
  });
  if (s != MICA_OK) {
    Lost(s);
  }
}

// Opens the `gpio` service of the controller the keys' phandle names.
void Connect() {
  mica::Handle mine, theirs;
  if (mica_channel_create(0, mine.reset_and_get_address(), theirs.reset_and_get_address()) !=
      MICA_OK) {
    Retry();
    return;
  }
  mica_handle_t raw = mine.release();
  mica_status_t s = g_dev->ConnectPhandle<idl::gpio::Gpio>(
      g_phandle, "gpio", static_cast<mica::Handle&&>(theirs), [raw](mica_status_t s) {
        mica::Handle ours(raw);
        if (s == MICA_OK) {
          Serve(static_cast<mica::Handle&&>(ours));
        } else {
          Retry();
        }
      });
  if (s != MICA_OK) {
    mica_handle_close(raw);
    Retry();
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
  Connect();
  return MICA_OK;
}

}  // namespace

MICA_DRIVER_MAIN(Bind)
