// The manager's switches (options.h).
#include <gtest/gtest.h>
#include <string.h>

#include "system/core/driver_manager/options.h"

namespace driver_manager {
namespace {

TEST(Options, Defaults) {
  Options o;
  EXPECT_EQ(ParseWords("", &o), nullptr);
  EXPECT_STREQ(o.test_set, "");
  EXPECT_EQ(o.run_ms, 0u);
}

TEST(Options, EverySwitchAmongOtherWords) {
  Options o;
  EXPECT_EQ(ParseWords("kernel.x=1 drivers.test=crash\tdrivers.run-ms=2500\n"
                       "drivers.then=bin/drivers drivers.then-arg=--connect=test/0 "
                       "userboot.next=bin/x",
                       &o),
            nullptr);
  EXPECT_STREQ(o.test_set, "crash");
  EXPECT_EQ(o.run_ms, 2500u);
  EXPECT_STREQ(o.then, "bin/drivers");
  EXPECT_STREQ(o.then_arg, "--connect=test/0");
}

TEST(Options, Kill) {
  Options o;
  ASSERT_EQ(ParseWords("drivers.kill=1500:/pl061@9030000", &o), nullptr);
  EXPECT_EQ(o.kill_ms, 1500u);
  EXPECT_STREQ(o.kill_path, "/pl061@9030000");
  for (const char* bad : {"drivers.kill=", "drivers.kill=1500", "drivers.kill=x:/a",
                          "drivers.kill=10:", "drivers.kill=10:relative", "drivers.kill=:/a"}) {
    Options p;
    EXPECT_STREQ(ParseWords(bad, &p), "drivers.kill=") << bad;
  }
}

TEST(Options, KillTimes) {
  Options o;
  EXPECT_EQ(o.kill_times, 1u);
  ASSERT_EQ(ParseWords("drivers.kill-times=3", &o), nullptr);
  EXPECT_EQ(o.kill_times, 3u);
  ASSERT_EQ(ParseWords("drivers.kill-times=100", &o), nullptr);
  EXPECT_EQ(o.kill_times, 100u);
  for (const char* bad : {"drivers.kill-times=", "drivers.kill-times=0", "drivers.kill-times=101",
                          "drivers.kill-times=x", "drivers.kill-times=-1"}) {
    Options p;
    EXPECT_STREQ(ParseWords(bad, &p), "drivers.kill-times=") << bad;
  }
}

TEST(Options, BindConsole) {
  Options o;
  EXPECT_TRUE(o.bind_console);  // the console UART's driver takes the console over
  ASSERT_EQ(ParseWords("drivers.bind-console=0", &o), nullptr);
  EXPECT_FALSE(o.bind_console);
  ASSERT_EQ(ParseWords("drivers.bind-console=1", &o), nullptr);
  EXPECT_TRUE(o.bind_console);
  for (const char* bad : {"drivers.bind-console=", "drivers.bind-console=yes",
                          "drivers.bind-console=10", "drivers.bind-console=2"}) {
    Options p;
    EXPECT_STREQ(ParseWords(bad, &p), "drivers.bind-console=") << bad;
  }
}

TEST(Options, Inject) {
  Options o;
  ASSERT_EQ(ParseWords("drivers.inject=pl031:crash", &o), nullptr);
  EXPECT_STREQ(o.inject_driver, "pl031");
  EXPECT_STREQ(o.inject_fault, "crash");
  for (const char* bad :
       {"drivers.inject=", "drivers.inject=pl031", "drivers.inject=:crash",
        "drivers.inject=pl031:", "drivers.inject=pl031:a-fault-name-longer-than-the-field-holds"}) {
    Options p;
    EXPECT_STREQ(ParseWords(bad, &p), "drivers.inject=") << bad;
  }
}

TEST(Options, InjectList) {
  Options o;
  ASSERT_EQ(ParseWords("drivers.inject=/pl031@9010000:kill,crash,none,stall", &o), nullptr);
  EXPECT_TRUE(IsInjectTarget(o, "/pl031@9010000", "pl031"));
  EXPECT_FALSE(IsInjectTarget(o, "/pl031@9010001", "pl031"));
  char f[16];
  const char* want[] = {"kill", "crash", nullptr, "stall", nullptr, nullptr};
  for (uint32_t i = 0; i < 6; i++) {
    bool got = FaultForStart(o, i, f, sizeof(f));
    EXPECT_EQ(got, want[i] != nullptr) << i;
    if (got && want[i] != nullptr) {
      EXPECT_STREQ(f, want[i]) << i;
    }
  }
  EXPECT_FALSE(FaultForStart(o, 0, f, 4));  // "kill" and its NUL do not fit in 4
  ASSERT_EQ(ParseWords("drivers.inject-every=1", &o), nullptr);
  for (uint32_t i = 3; i < 40; i++) {
    ASSERT_TRUE(FaultForStart(o, i, f, sizeof(f))) << i;
    EXPECT_STREQ(f, "stall");
  }
  EXPECT_STREQ(ParseWords("drivers.inject-every=2", &o), "drivers.inject-every=");
}

TEST(Options, InjectTargetsADriverByName) {
  Options o;
  EXPECT_FALSE(IsInjectTarget(o, "/a", "pl031"));
  char f[16];
  EXPECT_FALSE(FaultForStart(o, 0, f, sizeof(f)));
  ASSERT_EQ(ParseWords("drivers.inject=pl031:crash", &o), nullptr);
  EXPECT_TRUE(IsInjectTarget(o, "/anything", "pl031"));
  EXPECT_FALSE(IsInjectTarget(o, "/anything", "pl011"));
  EXPECT_TRUE(FaultForStart(o, 0, f, sizeof(f)));
  EXPECT_STREQ(f, "crash");
  EXPECT_FALSE(FaultForStart(o, 1, f, sizeof(f)));
}

TEST(Options, KmemMs) {
  Options o;
  EXPECT_EQ(o.kmem_ms, 0u);
  EXPECT_EQ(o.inject_kill_ms, 1500u);
  ASSERT_EQ(ParseWords("drivers.inject-kill-ms=6000", &o), nullptr);
  EXPECT_EQ(o.inject_kill_ms, 6000u);
  EXPECT_STREQ(ParseWords("drivers.inject-kill-ms=0", &o), "drivers.inject-kill-ms=");
  EXPECT_STREQ(ParseWords("drivers.inject-kill-ms=x", &o), "drivers.inject-kill-ms=");
  ASSERT_EQ(ParseWords("drivers.kmem-ms=500", &o), nullptr);
  EXPECT_EQ(o.kmem_ms, 500u);
  EXPECT_STREQ(ParseWords("drivers.kmem-ms=x", &o), "drivers.kmem-ms=");
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

}  // namespace
}  // namespace driver_manager
