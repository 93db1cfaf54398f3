// The day-number algorithms are Howard Hinnant's days_from_civil and
// civil_from_days ("chrono-Compatible Low-Level Date Algorithms"): the year
// is shifted to start on March 1 so the leap day is the last day of a
// year, and 400-year eras of 146097 days make the arithmetic exact.
#include "drivers/rtc/pl031/utc.h"

namespace mica::drivers::rtc {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// Floor division for a positive divisor.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return (a >= 0 ? a : a - (b - 1)) / b;
}

}  // namespace

uint8_t DaysInMonth(int32_t year, uint8_t month) {
  static constexpr uint8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) {
    return 0;
  }
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

int64_t DaysFromCivil(int32_t y, uint8_t m, uint8_t d) {
  int64_t year = m <= 2 ? int64_t{y} - 1 : y;
  int64_t era = FloorDiv(year, 400);
  int64_t yoe = year - era * 400;                                 // [0, 399]
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

bool FromSeconds(int64_t seconds, CivilTime* out) {
  if (seconds < kMinUtcSeconds || seconds > kMaxUtcSeconds) {
    return false;
  }
  int64_t days = FloorDiv(seconds, kSecondsPerDay);
  int64_t rem = seconds - days * kSecondsPerDay;  // [0, 86399]
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;                                       // [0, 146096]
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  int64_t d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  int64_t m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);

  CivilTime t;
  t.year = static_cast<int32_t>(y);
  t.month = static_cast<uint8_t>(m);
  t.day = static_cast<uint8_t>(d);
  t.hour = static_cast<uint8_t>(rem / 3600);
  t.minute = static_cast<uint8_t>(rem / 60 % 60);
  t.second = static_cast<uint8_t>(rem % 60);
  // 1970-01-01 was a Thursday (4).
  int64_t wd = (days + 4) % 7;
  t.weekday = static_cast<uint8_t>(wd < 0 ? wd + 7 : wd);
  *out = t;
  return true;
}

bool ToSeconds(const CivilTime& t, int64_t* out) {
  if (t.year < 1 || t.year > 9999 || t.month < 1 || t.month > 12 || t.day < 1 ||
      t.day > DaysInMonth(t.year, t.month) || t.hour > 23 || t.minute > 59 || t.second > 59) {
    return false;
  }
  *out = DaysFromCivil(t.year, t.month, t.day) * kSecondsPerDay + t.hour * 3600 + t.minute * 60 +
         t.second;
  return true;
}

}  // namespace mica::drivers::rtc
