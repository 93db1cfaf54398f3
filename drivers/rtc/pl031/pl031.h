// Pl031: the Arm PrimeCell PL031 real-time clock (PL031 TRM, Arm DDI0224):
// a 32-bit counter of seconds, a match register that raises an interrupt
// when the counter reaches it, and a load register that sets the counter.
//
// Contract:
// - Init checks the PrimeCell ID (part 0x031), masks and clears the match
//   interrupt and starts the counter if it is stopped (RTCCR.RTCstart,
//   TRM §3.3.4; once set it stays set until reset, and QEMU's model reads 1
//   always). Every other call requires a successful Init (kBadState).
// - The counter is seconds since the Unix epoch in UTC (the convention of
//   QEMU's model, `-rtc base=utc`, and of Linux's rtc-pl031), so it covers
//   1970-01-01 to 2106-02-07 06:28:15; ReadTime/SetTime convert with utc.h.
// - The alarm is one-shot: SetAlarm arms the match, OnInterrupt reports and
//   disarms it. The counter and match wrap modulo 2^32 (QEMU computes the
//   delay the same way), so SetAlarm refuses a time that is not in the
//   future (kInvalidArgs) rather than arm one 136 years away.
// - No system calls: the wrapper calls OnInterrupt when the interrupt
//   object fires, then acknowledges it.
#pragma once

#include <stdint.h>

#include <mica/driver/mmio.h>

#include "drivers/lib/status.h"
#include "drivers/rtc/pl031/utc.h"

namespace mica::drivers::pl031 {

// Register offsets (TRM §3.2, Table 3-1).
inline constexpr uint32_t kRtcDr = 0x000;    // data (RO): the counter
inline constexpr uint32_t kRtcMr = 0x004;    // match
inline constexpr uint32_t kRtcLr = 0x008;    // load: writes set the counter
inline constexpr uint32_t kRtcCr = 0x00c;    // control: bit 0 RTCstart
inline constexpr uint32_t kRtcImsc = 0x010;  // interrupt mask set/clear: bit 0
inline constexpr uint32_t kRtcRis = 0x014;   // raw interrupt status
inline constexpr uint32_t kRtcMis = 0x018;   // masked interrupt status
inline constexpr uint32_t kRtcIcr = 0x01c;   // interrupt clear (WO)
inline constexpr uint32_t kRtcIntr = 1u << 0;
inline constexpr uint16_t kPl031Part = 0x031;

class Pl031 {
 public:
  explicit Pl031(driver::RegisterIo& regs) : regs_(regs) {}

  Status Init();

  Status ReadSeconds(uint32_t* seconds);
  Status SetSeconds(uint32_t seconds);
  Status ReadTime(rtc::CivilTime* out);
  // kInvalidArgs for an invalid date or one outside the counter's range.
  Status SetTime(const rtc::CivilTime& t);

  Status SetAlarm(uint32_t at_seconds);
  Status CancelAlarm();
  // True when the alarm fired (it is then cleared and disarmed).
  bool OnInterrupt();

 private:
  driver::RegisterIo& regs_;
  bool ready_ = false;
};

}  // namespace mica::drivers::pl031
