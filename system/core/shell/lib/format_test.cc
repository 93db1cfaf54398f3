// The shell's time formatting (format.h), against the C library's gmtime
// for a sweep of times.
#include "system/core/shell/lib/format.h"

#include <gtest/gtest.h>
#include <time.h>

#include <random>
#include <string>

namespace shell {
namespace {

std::string Utc(int64_t s) {
  char buf[64];
  return FormatUtc(s, buf, sizeof(buf));
}

TEST(FormatUtc, KnownDates) {
  EXPECT_EQ(Utc(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(Utc(951782400), "2000-02-29 00:00:00 UTC");   // a leap day of a /400 year
  EXPECT_EQ(Utc(4107542399), "2100-02-28 23:59:59 UTC");  // 2100 is no leap year
  EXPECT_EQ(Utc(4107542400), "2100-03-01 00:00:00 UTC");
  EXPECT_EQ(Utc(-1), "1969-12-31 23:59:59 UTC");
  EXPECT_EQ(Utc(253402300799), "9999-12-31 23:59:59 UTC");
  EXPECT_EQ(Utc(253402300800), "?");
  EXPECT_EQ(Utc(-62167219200), "0000-01-01 00:00:00 UTC");
  EXPECT_EQ(Utc(-62167219201), "?");
  EXPECT_EQ(Utc(INT64_MAX), "?");
  EXPECT_EQ(Utc(INT64_MIN), "?");
}

TEST(FormatUtc, AgreesWithGmtime) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; i++) {
    int64_t s = static_cast<int64_t>(rng() % 253402300800ull) - (i % 2 == 0 ? 0 : 62167219200ll);
    time_t t = static_cast<time_t>(s);
    struct tm tm;
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char want[64];
    snprintf(want, sizeof(want), "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ASSERT_EQ(Utc(s), want) << s;
  }
}

TEST(FormatUtc, CutToTheBuffer) {
  char buf[8];
  EXPECT_STREQ(FormatUtc(0, buf, sizeof(buf)), "1970-01");
  char one[1] = {'x'};
  EXPECT_STREQ(FormatUtc(0, one, 1), "");
  FormatUtc(0, one, 0);  // nothing written
  EXPECT_EQ(one[0], '\0');
}

TEST(FormatUptime, Units) {
  char buf[64];
  EXPECT_STREQ(FormatUptime(0, buf, sizeof(buf)), "0.000s");
  EXPECT_STREQ(FormatUptime(3'042'999'999, buf, sizeof(buf)), "3.042s");
  EXPECT_STREQ(FormatUptime(60'000'000'000, buf, sizeof(buf)), "1m 0.000s");
  EXPECT_STREQ(FormatUptime(3'605'000'000'000, buf, sizeof(buf)), "1h 0m 5.000s");
  EXPECT_STREQ(FormatUptime(90'061'001'000'000, buf, sizeof(buf)), "1d 1h 1m 1.001s");
  EXPECT_STREQ(FormatUptime(UINT64_MAX, buf, sizeof(buf)), "213503d 23h 34m 33.709s");
}

}  // namespace
}  // namespace shell
