// ConsoleDriver: the process side both UART drivers (bin/pl011,
// bin/mini-uart) share: the console hand-over from the kernel, the echo of
// typed input, and the serial service (README.md, docs/drivers.md "The
// console").
//
// Contract:
// - TakeConsole (before the UART is programmed, so the kernel is no longer
//   writing to it): if the manager granted this driver the SYSTEM console
//   resource (only for the node /chosen/stdout-path names, manifest `grant
//   console`), creates the console log (debuglog_create READABLE|CONSOLE):
//   the kernel stops writing the UART and this driver prints every record
//   it had not, read as the kernel's own console line (debuglog_read
//   MICA_LOG_READ_LINE), so the console reads the same whoever drives it.
//   Without the grant the driver runs as a plain UART (no log).
// - Start (the UART initialised): everything then runs on the driver's
//   loop. The bytes Init kept from the receive FIFO (typed while the
//   kernel had the console) are taken first. Each interrupt (IrqPump)
//   services the UART; received bytes go
//   through the LineDiscipline (echo: printable ASCII, Enter as CR LF,
//   backspace erases); finished lines wait for readers. Output from four
//   writers (the kernel's records, service clients, the echo, the driver's
//   own line) shares the wire through one ConsoleWriter: no line on the
//   wire ever holds two writers' bytes.
// - The service: class `console` for the console's driver, `serial` for
//   any other UART (instances numbered by the manager), IDL Serial
//   (system/idl/serial.idl): Write queues the bytes (whole lines kept
//   whole; a write without a final newline, e.g. a prompt, is sent as it
//   is); Read waits for a finished line and returns up to `max` bytes of
//   finished lines (canonical mode); SetMode RAW keeps what was typed
//   before (type-ahead, LineDiscipline); GetInfo names the driver.
// - The driver's death closes the console log: the kernel takes the
//   console back and prints what this driver had not read (syscalls.mica,
//   debuglog_create).
// User toolchain only; one ConsoleDriver per process.
#pragma once

#include <mica/driver/driver.h>

#include "drivers/serial/lib/serial_device.h"

namespace mica::drivers::serial {

struct ConsoleDriverConfig {
  const char* hello = "uart-driver";  // the tag of the driver's own line
  uint32_t baud = 115200;             // what GetInfo reports
};

// Takes the console over if it was granted; MICA_OK also when it was not.
mica_status_t ConsoleTakeOver(mica::driver::Context& dev);
// True once ConsoleTakeOver took the console.
bool ConsoleOwned();
// Serves `uart` (initialised) with its interrupt, prints the log if owned,
// and publishes the service. Handles the driver's `inject=<fault>`
// argument (ConsoleInject).
mica_status_t ConsoleStart(mica::driver::Context& dev, SerialDevice& uart, mica::Handle irq,
                           const ConsoleDriverConfig& config);

}  // namespace mica::drivers::serial
