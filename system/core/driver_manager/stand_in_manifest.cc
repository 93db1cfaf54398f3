// See stand_in_manifest.h (a stand-in: m4-match's manifests replace it).
#include "system/core/driver_manager/stand_in_manifest.h"

#include <string.h>

namespace driver_manager {
namespace {

// strnlen (not in picolibc's strict C headers).
size_t BoundedLen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    n++;
  }
  return n;
}

constexpr const char* kTestBinary = "bin/test-driver";

struct TestSet {
  const char* name;
  DriverEntry victim;  // bound to arm,pl031
};

const TestSet kTestSets[] = {
    {"steady", {"arm,pl031", "test-steady", kTestBinary, "steady"}},
    {"isolation", {"arm,pl031", "test-isolation", kTestBinary, "isolation"}},
    {"crash", {"arm,pl031", "test-crash", kTestBinary, "crash-once"}},
    {"exit", {"arm,pl031", "test-exit", kTestBinary, "exit-once"}},
    {"hang", {"arm,pl031", "test-hang", kTestBinary, "hang-once"}},
    {"fail", {"arm,pl031", "test-fail", kTestBinary, "crash-always"}},
    {"parent", {"arm,pl031", "test-parent", kTestBinary, "parent"}},
    // The real PL031 driver (drivers/rtc/pl031).
    {"rtc", {"arm,pl031", "pl031", "bin/pl031-driver", nullptr}},
    // The real PL011 driver (drivers/serial/pl011).
    {"console", {"arm,pl011", "pl011", "bin/pl011-driver", nullptr}},
    // The Pi 4's mini UART driver (drivers/serial/bcm2835-aux).
    {"console-rpi4", {"brcm,bcm2835-aux-uart", "mini-uart", "bin/mini-uart-driver", nullptr}},
};

const DriverEntry kTestCommon[] = {
    {"arm,pl061", "test-steady", kTestBinary, "steady"},
    {"qemu,fw-cfg-mmio", "test-steady", kTestBinary, "steady"},
    {"mica,test-child", "test-child", kTestBinary, "child"},
};

const TestSet* FindSet(const char* set) {
  for (const TestSet& t : kTestSets) {
    if (strcmp(t.name, set) == 0) {
      return &t;
    }
  }
  return nullptr;
}

const DriverEntry* Lookup(const TestSet* set, const char* compatible) {
  if (set == nullptr) {
    return nullptr;  // the system set: no drivers yet
  }
  if (strcmp(set->victim.compatible, compatible) == 0) {
    return &set->victim;
  }
  for (const DriverEntry& e : kTestCommon) {
    if (strcmp(e.compatible, compatible) == 0) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

bool KnownSet(const char* set) {
  return set[0] == '\0' || FindSet(set) != nullptr;
}

const DriverEntry* MatchCompatible(const char* set, const char* list, size_t size) {
  const TestSet* t = set[0] == '\0' ? nullptr : FindSet(set);
  size_t at = 0;
  while (at < size) {
    const char* s = list + at;
    size_t len = BoundedLen(s, size - at);
    if (len == size - at) {
      return nullptr;  // not NUL-terminated: a malformed list binds nothing
    }
    if (const DriverEntry* e = Lookup(t, s)) {
      return e;
    }
    at += len + 1;
  }
  return nullptr;
}

}  // namespace driver_manager
