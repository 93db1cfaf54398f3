// Where the shell gets its capabilities: the one module that knows (see
// docs/shell.md, "Capabilities"). Everything else asks Caps.
//
// Today the driver manager starts the shell as its `drivers.then=bin/shell`
// program (system/core/driver_manager/services.cc, LaunchThen) with: the
// service directory (MICA_DRIVER_HANDLE_DEVICES: console/0, rtc/0), the
// inspection channel (MICA_DRIVER_HANDLE_INSPECT), a Power channel
// (MICA_DRIVER_HANDLE_POWER), a read-only bootfs VMO
// (MICA_BOOTSTRAP_VMO_BOOTFS), an INSPECT-only root resource
// (MICA_BOOTSTRAP_ROOT_RESOURCE, kernel memory statistics) and, as every
// launched program, its default job: the root job (ps, jobs, kill, and the
// jobs `run` creates).
//
// At integration the component manager starts it instead: TakeCaps and the
// Open* functions below are then the only code to change (namespace paths
// through mica::component::Connect: /svc/serial.Serial, /svc/inspect.Inspect,
// /svc/power.Power, /svc/component.Realm, /svc/log.Reader, ...).
#pragma once

#include <mica/cpp/objects.h>
#include <mica/syscalls.h>

namespace shell {

struct Caps {
  mica::Channel inspect;                         // inspect.Inspect of the driver manager
  mica::Channel power;                           // power.Power
  mica_handle_t root_job = MICA_HANDLE_INVALID;  // borrowed (the default job)
  mica_handle_t kmem = MICA_HANDLE_INVALID;      // root resource, INSPECT only
  mica_handle_t bootfs = MICA_HANDLE_INVALID;    // the bootfs VMO
  // Not there yet (component manager and log service): invalid channels;
  // the commands that need them say so.
  mica::Channel realm;       // component.Realm
  mica::Channel log_reader;  // log.Reader
  bool directory = false;    // the service directory (console, rtc)
};

// Takes what the shell was started with (once, at start).
void TakeCaps(Caps* caps);
// Opens the console's serial service (waits up to `timeout` ns while it is
// not, or not again, published).
mica_status_t OpenConsole(mica_duration_t timeout, mica::Channel* out);
// A new log.Reader connection (each `log` reads on its own): through the
// namespace as a component, else caps->log_reader itself (once).
mica_status_t OpenLogReader(Caps* caps, mica::Channel* out);
// Opens the real-time clock (IDL rtc.Rtc).
mica_status_t OpenRtc(mica::Channel* out);

}  // namespace shell
