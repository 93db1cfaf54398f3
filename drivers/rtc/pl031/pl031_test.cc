#include "drivers/rtc/pl031/pl031.h"

#include <gtest/gtest.h>

#include "drivers/rtc/pl031/fake_pl031.h"

namespace mica::drivers::pl031 {
namespace {

using testing::FakePl031;

TEST(Pl031, InitChecksIdAndMasksTheAlarm) {
  FakePl031 dev(1000);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  EXPECT_FALSE(dev.irq_line());
  EXPECT_EQ(dev.bad_accesses(), 0u);

  FakePl031 other(0);
  const uint8_t pl061[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
  other.SetPrimeCellId(pl061);
  Pl031 wrong(other);
  EXPECT_EQ(wrong.Init(), Status::kNotFound);
  uint32_t s = 0;
  EXPECT_EQ(wrong.ReadSeconds(&s), Status::kBadState);
  EXPECT_EQ(wrong.SetAlarm(5), Status::kBadState);
  EXPECT_FALSE(wrong.OnInterrupt());
}

TEST(Pl031, InitStartsAStoppedCounter) {
  FakePl031 dev(500, /*started=*/false);
  dev.Advance(10);
  EXPECT_EQ(dev.count(), 500u);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  EXPECT_TRUE(dev.started());
  dev.Advance(10);
  uint32_t s = 0;
  ASSERT_EQ(rtc.ReadSeconds(&s), Status::kOk);
  EXPECT_EQ(s, 510u);
}

TEST(Pl031, ReadsAndSetsTheCounter) {
  FakePl031 dev(1700000000);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  for (uint32_t v : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu}) {
    ASSERT_EQ(rtc.SetSeconds(v), Status::kOk);
    EXPECT_EQ(dev.FindWrite(kRtcLr) >= 0, true);
    uint32_t s = 0;
    ASSERT_EQ(rtc.ReadSeconds(&s), Status::kOk);
    EXPECT_EQ(s, v);
  }
}

TEST(Pl031, CivilTimeRoundTripsThroughTheCounter) {
  FakePl031 dev(0);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  rtc::CivilTime t;
  t.year = 2038;
  t.month = 1;
  t.day = 19;
  t.hour = 3;
  t.minute = 14;
  t.second = 8;  // 2^31: the signed 32-bit rollover, ordinary here
  ASSERT_EQ(rtc.SetTime(t), Status::kOk);
  EXPECT_EQ(dev.count(), 0x80000000u);
  dev.Advance(1);
  rtc::CivilTime back;
  ASSERT_EQ(rtc.ReadTime(&back), Status::kOk);
  EXPECT_EQ(back.year, 2038);
  EXPECT_EQ(back.second, 9);

  rtc::CivilTime late{2106, 2, 7, 6, 28, 16};  // one past the counter's end
  EXPECT_EQ(rtc.SetTime(late), Status::kInvalidArgs);
  rtc::CivilTime early{1969, 12, 31, 23, 59, 59};
  EXPECT_EQ(rtc.SetTime(early), Status::kInvalidArgs);
  rtc::CivilTime bad{2023, 2, 29, 0, 0, 0};
  EXPECT_EQ(rtc.SetTime(bad), Status::kInvalidArgs);
  EXPECT_EQ(dev.count(), 0x80000001u);  // none of them reached RTCLR
}

TEST(Pl031, AlarmFiresOnceAtTheMatch) {
  FakePl031 dev(100);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  ASSERT_EQ(rtc.SetAlarm(105), Status::kOk);
  dev.Advance(4);
  EXPECT_FALSE(dev.irq_line());
  EXPECT_FALSE(rtc.OnInterrupt());
  dev.Advance(1);
  EXPECT_TRUE(dev.irq_line());
  EXPECT_TRUE(rtc.OnInterrupt());
  EXPECT_FALSE(dev.irq_line());
  EXPECT_FALSE(rtc.OnInterrupt());
  dev.Advance(1u << 20);
  EXPECT_FALSE(dev.irq_line());
}

TEST(Pl031, AlarmAcrossTheCounterWrap) {
  FakePl031 dev(0xfffffffeu);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  ASSERT_EQ(rtc.SetAlarm(1), Status::kOk);
  dev.Advance(2);
  EXPECT_FALSE(dev.irq_line());
  dev.Advance(1);
  EXPECT_TRUE(rtc.OnInterrupt());
}

TEST(Pl031, AlarmRefusesNowAndThePast) {
  FakePl031 dev(1000);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  EXPECT_EQ(rtc.SetAlarm(1000), Status::kInvalidArgs);
  EXPECT_EQ(rtc.SetAlarm(999), Status::kInvalidArgs);
  EXPECT_EQ(rtc.SetAlarm(0), Status::kInvalidArgs);
  EXPECT_FALSE(dev.irq_line());
}

TEST(Pl031, CancelledAlarmStaysQuiet) {
  FakePl031 dev(1000);
  Pl031 rtc(dev);
  ASSERT_EQ(rtc.Init(), Status::kOk);
  ASSERT_EQ(rtc.SetAlarm(1003), Status::kOk);
  ASSERT_EQ(rtc.CancelAlarm(), Status::kOk);
  dev.Advance(10);
  EXPECT_FALSE(dev.irq_line());
  EXPECT_FALSE(rtc.OnInterrupt());
}

}  // namespace
}  // namespace mica::drivers::pl031
