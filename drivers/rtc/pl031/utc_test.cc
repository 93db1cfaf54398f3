// UTC conversion against two independent references: a day-by-day walk of
// the calendar (class of input: every day from 1 to 9999 years) and the
// host C library's gmtime_r/timegm on random seconds.
#include "drivers/rtc/pl031/utc.h"

#include <gtest/gtest.h>
#include <time.h>

#include <random>

namespace mica::drivers::rtc {
namespace {

TEST(Utc, LeapYearRule) {
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2400));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2400, 2), 29);
  EXPECT_EQ(DaysInMonth(2024, 13), 0);
  EXPECT_EQ(DaysInMonth(2024, 0), 0);
}

// Walk every day of years 1..9999 with a naive counter and check both
// directions at the day's first and last second.
TEST(Utc, EveryDayOfTheRangeMatchesANaiveWalk) {
  int64_t days = DaysFromCivil(1, 1, 1);
  EXPECT_EQ(days * 86400, kMinUtcSeconds);
  int weekday = 1;  // 0001-01-01 was a Monday (proleptic Gregorian)
  for (int32_t y = 1; y <= 9999; y++) {
    for (uint8_t m = 1; m <= 12; m++) {
      for (uint8_t d = 1; d <= DaysInMonth(y, m); d++) {
        for (int64_t sec : {int64_t{0}, int64_t{86399}}) {
          CivilTime t;
          ASSERT_TRUE(FromSeconds(days * 86400 + sec, &t));
          ASSERT_EQ(t.year, y);
          ASSERT_EQ(t.month, m);
          ASSERT_EQ(t.day, d);
          ASSERT_EQ(t.hour * 3600 + t.minute * 60 + t.second, sec);
          ASSERT_EQ(t.weekday, weekday);
          int64_t back = 0;
          ASSERT_TRUE(ToSeconds(t, &back));
          ASSERT_EQ(back, days * 86400 + sec);
        }
        days++;
        weekday = (weekday + 1) % 7;
      }
    }
  }
  EXPECT_EQ(days * 86400 - 1, kMaxUtcSeconds);
}

TEST(Utc, NamedEdges) {
  struct Edge {
    int64_t seconds;
    CivilTime t;
  };
  const Edge edges[] = {
      {0, {1970, 1, 1, 0, 0, 0, 4}},
      {-1, {1969, 12, 31, 23, 59, 59, 3}},
      {951782400, {2000, 2, 29, 0, 0, 0, 2}},
      {2147483647, {2038, 1, 19, 3, 14, 7, 2}},
      {2147483648, {2038, 1, 19, 3, 14, 8, 2}},
      {4107542399, {2100, 2, 28, 23, 59, 59, 0}},
      {4107542400, {2100, 3, 1, 0, 0, 0, 1}},    // 2100 has no Feb 29
      {4294967295, {2106, 2, 7, 6, 28, 15, 0}},  // the PL031's last second
      {13574563200, {2400, 2, 29, 0, 0, 0, 2}},
  };
  for (const Edge& e : edges) {
    CivilTime t;
    ASSERT_TRUE(FromSeconds(e.seconds, &t)) << e.seconds;
    EXPECT_EQ(t.year, e.t.year) << e.seconds;
    EXPECT_EQ(t.month, e.t.month) << e.seconds;
    EXPECT_EQ(t.day, e.t.day) << e.seconds;
    EXPECT_EQ(t.hour, e.t.hour) << e.seconds;
    EXPECT_EQ(t.minute, e.t.minute) << e.seconds;
    EXPECT_EQ(t.second, e.t.second) << e.seconds;
    EXPECT_EQ(t.weekday, e.t.weekday) << e.seconds;
  }
}

TEST(Utc, RejectsInvalidDatesAndOutOfRange) {
  int64_t out = 1234;
  const CivilTime bad[] = {
      {2023, 2, 29, 0, 0, 0}, {2100, 2, 29, 0, 0, 0}, {2024, 4, 31, 0, 0, 0},
      {2024, 0, 1, 0, 0, 0},  {2024, 13, 1, 0, 0, 0}, {2024, 1, 0, 0, 0, 0},
      {2024, 1, 1, 24, 0, 0}, {2024, 1, 1, 0, 60, 0}, {2024, 1, 1, 0, 0, 60},
      {0, 1, 1, 0, 0, 0},     {10000, 1, 1, 0, 0, 0}, {-5, 1, 1, 0, 0, 0},
  };
  for (const CivilTime& t : bad) {
    EXPECT_FALSE(ToSeconds(t, &out));
  }
  EXPECT_EQ(out, 1234);
  CivilTime t;
  t.year = 77;
  EXPECT_FALSE(FromSeconds(kMinUtcSeconds - 1, &t));
  EXPECT_FALSE(FromSeconds(kMaxUtcSeconds + 1, &t));
  EXPECT_FALSE(FromSeconds(INT64_MIN, &t));
  EXPECT_FALSE(FromSeconds(INT64_MAX, &t));
  EXPECT_EQ(t.year, 77);
}

TEST(Utc, AgreesWithTheHostLibcOnRandomSeconds) {
  std::mt19937_64 rng(2038);
  for (int i = 0; i < 200000; i++) {
    int64_t s =
        kMinUtcSeconds + static_cast<int64_t>(rng() % (kMaxUtcSeconds - kMinUtcSeconds + 1));
    time_t tt = static_cast<time_t>(s);
    struct tm ref;
    ASSERT_NE(gmtime_r(&tt, &ref), nullptr);
    CivilTime t;
    ASSERT_TRUE(FromSeconds(s, &t));
    ASSERT_EQ(t.year, ref.tm_year + 1900) << s;
    ASSERT_EQ(t.month, ref.tm_mon + 1) << s;
    ASSERT_EQ(t.day, ref.tm_mday) << s;
    ASSERT_EQ(t.hour, ref.tm_hour) << s;
    ASSERT_EQ(t.minute, ref.tm_min) << s;
    ASSERT_EQ(t.second, ref.tm_sec) << s;
    ASSERT_EQ(t.weekday, ref.tm_wday) << s;
    ASSERT_EQ(static_cast<int64_t>(timegm(&ref)), s);
  }
}

}  // namespace
}  // namespace mica::drivers::rtc
