// STAND-IN until m4-match's manifests land (system/core/driver_manager/lib:
// the manifest format, its compiler and reader, compatible matching): a
// compiled-in table of which driver binds which compatible, per manifest
// set. The system set is empty until real drivers exist; the test sets
// bind bin/test-driver (drivers/test) to QEMU virt nodes:
//   arm,pl031        -> test-<set>  (the behaviour under test)
//   arm,pl061        -> test-steady
//   qemu,fw-cfg-mmio -> test-steady
//   mica,test-child  -> test-child  (children test-parent adds)
// for <set> one of: steady, isolation, crash, exit, hang, fail, parent;
// set `rtc` binds arm,pl031 to the real driver, bin/pl031-driver, and set
// `console` arm,pl011 to bin/pl011-driver, and set `console-rpi4`
// brcm,bcm2835-aux-uart to bin/mini-uart-driver.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace driver_manager {

struct DriverEntry {
  const char* compatible;
  const char* name;    // the driver's name (its process name too)
  const char* binary;  // bootfs path
  const char* arg;     // its one manifest argument, or nullptr
};

// The entry that binds a node whose `compatible` string list is
// list[0, size): its strings are tried in order, so the most specific
// compatible any driver binds wins. nullptr if none. `set` is "" for the
// system set.
const DriverEntry* MatchCompatible(const char* set, const char* list, size_t size);

// Whether `set` names a known manifest set.
bool KnownSet(const char* set);

}  // namespace driver_manager
