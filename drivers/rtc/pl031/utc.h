// UTC calendar conversion: seconds since the Unix epoch (1970-01-01
// 00:00:00 UTC, POSIX time: every day has 86400 seconds, leap seconds are
// not counted) to and from a proleptic Gregorian date and time.
//
// Contract:
// - Pure functions, no state, no time source: the RTC driver and its
//   clients (a `date` program, file timestamps) share them.
// - Gregorian leap years: divisible by 4, except centuries, except those
//   divisible by 400 (2000 and 2400 are leap years; 2100 is not).
// - Range: years 1 through 9999 (seconds from -62135596800, 0001-01-01,
//   to 253402300799, 9999-12-31 23:59:59). FromSeconds of a value outside
//   the range and ToSeconds of an invalid or out-of-range date return false
//   and leave the output untouched.
// - The PL031 counts 32 unsigned bits: 0 .. 4294967295 is 1970-01-01 to
//   2106-02-07 06:28:15, so 2038-01-19 03:14:08 (2^31) is an ordinary value.
#pragma once

#include <stdint.h>

namespace mica::drivers::rtc {

struct CivilTime {
  int32_t year = 1970;
  uint8_t month = 1;  // 1..12
  uint8_t day = 1;    // 1..DaysInMonth
  uint8_t hour = 0;   // 0..23
  uint8_t minute = 0;
  uint8_t second = 0;   // 0..59 (no leap seconds in POSIX time)
  uint8_t weekday = 4;  // 0 = Sunday; filled by FromSeconds, ignored by ToSeconds
};

inline constexpr int64_t kMinUtcSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxUtcSeconds = 253402300799;  // 9999-12-31T23:59:59Z

constexpr bool IsLeapYear(int32_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
uint8_t DaysInMonth(int32_t year, uint8_t month);

bool FromSeconds(int64_t seconds, CivilTime* out);
bool ToSeconds(const CivilTime& t, int64_t* out);

// Days since 1970-01-01 of a valid date (negative before). No checks.
int64_t DaysFromCivil(int32_t y, uint8_t m, uint8_t d);

}  // namespace mica::drivers::rtc
