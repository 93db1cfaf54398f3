// See format.h.
#include "system/core/shell/lib/format.h"

#include <stdio.h>

namespace shell {

namespace {

// Days since 1970-01-01 to year/month/day (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

}  // namespace

char* FormatUtc(int64_t seconds, char* out, size_t size) {
  if (size == 0) {
    return out;
  }
  constexpr int64_t kDay = 86400;
  int64_t days = seconds / kDay;
  int64_t rem = seconds % kDay;
  if (rem < 0) {
    rem += kDay;
    days--;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y < 0 || y > 9999) {
    snprintf(out, size, "?");
    return out;
  }
  snprintf(out, size, "%04lld-%02u-%02u %02lld:%02lld:%02lld UTC", static_cast<long long>(y), m, d,
           static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
           static_cast<long long>(rem % 60));
  return out;
}

char* FormatUptime(uint64_t ns, char* out, size_t size) {
  if (size == 0) {
    return out;
  }
  uint64_t ms = ns / 1'000'000;
  uint64_t s = ms / 1000;
  unsigned long long days = s / 86400, hours = s / 3600 % 24, minutes = s / 60 % 60;
  unsigned long long secs = s % 60, milli = ms % 1000;
  if (days > 0) {
    snprintf(out, size, "%llud %lluh %llum %llu.%03llus", days, hours, minutes, secs, milli);
  } else if (hours > 0) {
    snprintf(out, size, "%lluh %llum %llu.%03llus", hours, minutes, secs, milli);
  } else if (minutes > 0) {
    snprintf(out, size, "%llum %llu.%03llus", minutes, secs, milli);
  } else {
    snprintf(out, size, "%llu.%03llus", secs, milli);
  }
  return out;
}

}  // namespace shell
