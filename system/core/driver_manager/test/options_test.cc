// The manager's switches (options.h) and the stand-in manifest's matching
// (stand_in_manifest.h): compatible lists in order, malformed lists.
#include <gtest/gtest.h>
#include <string.h>

#include "system/core/driver_manager/options.h"
#include "system/core/driver_manager/stand_in_manifest.h"

namespace driver_manager {
namespace {

TEST(Options, Defaults) {
  Options o;
  EXPECT_EQ(ParseWords("", &o), nullptr);
  EXPECT_STREQ(o.test_set, "");
  EXPECT_EQ(o.run_ms, 0u);
  EXPECT_EQ(o.ping_ms, 1000u);
}

TEST(Options, EverySwitchAmongOtherWords) {
  Options o;
  EXPECT_EQ(
      ParseWords("kernel.x=1 drivers.test=crash\tdrivers.run-ms=2500\n"
                 "drivers.ping-ms=300 drivers.then=bin/drivers drivers.then-arg=--connect=test/0 "
                 "userboot.next=bin/x",
                 &o),
      nullptr);
  EXPECT_STREQ(o.test_set, "crash");
  EXPECT_EQ(o.run_ms, 2500u);
  EXPECT_EQ(o.ping_ms, 300u);
  EXPECT_STREQ(o.then, "bin/drivers");
  EXPECT_STREQ(o.then_arg, "--connect=test/0");
}

TEST(Options, LaterWordsWin) {
  Options o;
  ASSERT_EQ(ParseWords("drivers.test=crash", &o), nullptr);
  ASSERT_EQ(ParseWords("drivers.test=hang", &o), nullptr);
  EXPECT_STREQ(o.test_set, "hang");
}

TEST(Options, BadValuesAreNamed) {
  const char* bad[][2] = {
      {"drivers.run-ms=", "drivers.run-ms="},
      {"drivers.run-ms=12x", "drivers.run-ms="},
      {"drivers.run-ms=1234567890", "drivers.run-ms="},
      {"drivers.ping-ms=0", "drivers.ping-ms="},
      {"drivers.test=", "drivers.test="},
      {"drivers.test=0123456789012345678901234567890123456789", "drivers.test="},
      {"drivers.then=", "drivers.then="},
  };
  for (auto& b : bad) {
    Options o;
    const char* got = ParseWords(b[0], &o);
    ASSERT_NE(got, nullptr) << b[0];
    EXPECT_STREQ(got, b[1]) << b[0];
  }
}

TEST(StandInManifest, MostSpecificCompatibleInOrderWins) {
  const char list[] = "vendor,unknown\0arm,pl031\0arm,primecell";
  const DriverEntry* e = MatchCompatible("crash", list, sizeof(list));
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(e->name, "test-crash");
  const char other[] = "arm,pl061\0arm,pl031";
  e = MatchCompatible("crash", other, sizeof(other));
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(e->name, "test-steady");
}

TEST(StandInManifest, SystemSetAndMalformedListsBindNothing) {
  const char list[] = "arm,pl031";
  EXPECT_EQ(MatchCompatible("", list, sizeof(list)), nullptr);
  const char unterminated[] = {'a', 'r', 'm', ',', 'p', 'l', '0', '3', '1'};
  EXPECT_EQ(MatchCompatible("crash", unterminated, sizeof(unterminated)), nullptr);
  EXPECT_EQ(MatchCompatible("crash", list, 0), nullptr);
  EXPECT_TRUE(KnownSet(""));
  EXPECT_TRUE(KnownSet("hang"));
  EXPECT_FALSE(KnownSet("nope"));
}

}  // namespace
}  // namespace driver_manager
