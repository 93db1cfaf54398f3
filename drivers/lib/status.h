// Status: what a driver's device logic reports to its process wrapper.
//
// Contract: kOk is the only success. The wrapper (the driver runtime)
// translates these to the system's status codes in one place; the logic
// never sees a system call. Values are stable (logged by number).
#pragma once

namespace mica::drivers {

enum class Status {
  kOk = 0,
  kNotFound = 1,     // the registers do not identify the expected device
  kInvalidArgs = 2,  // a parameter out of the device's range
  kTimedOut = 3,     // the device did not reach a state within the bound
  kBadState = 4,     // called before Init succeeded
};

constexpr bool Ok(Status s) {
  return s == Status::kOk;
}

}  // namespace mica::drivers
