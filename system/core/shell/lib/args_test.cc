// The shell's argument parsing (args.h).
#include "system/core/shell/lib/args.h"

#include <gtest/gtest.h>

#include <string>

namespace shell {
namespace {

TEST(Split, WordsAtBlanks) {
  char line[] = "  kill\t 12   34 ";
  char* w[4];
  ASSERT_EQ(Split(line, w, 4), 3u);
  EXPECT_STREQ(w[0], "kill");
  EXPECT_STREQ(w[1], "12");
  EXPECT_STREQ(w[2], "34");
}

TEST(Split, EmptyAndBlankLines) {
  for (const char* s : {"", " ", "\t\t ", "   "}) {
    std::string copy = s;
    char* w[2];
    EXPECT_EQ(Split(copy.data(), w, 2), 0u) << s;
  }
}

TEST(Split, TooManyWords) {
  char line[] = "a b c d";
  char* w[3];
  EXPECT_EQ(Split(line, w, 3), 4u);
  char exact[] = "a b c";
  EXPECT_EQ(Split(exact, w, 3), 3u);
  EXPECT_STREQ(w[2], "c");
}

TEST(ParseU64, Numbers) {
  uint64_t v = 7;
  EXPECT_TRUE(ParseU64("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseU64("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  for (const char* bad :
       {"", "-1", "+1", "1x", " 1", "18446744073709551616", "99999999999999999999", "0x10"}) {
    v = 7;
    EXPECT_FALSE(ParseU64(bad, &v)) << bad;
    EXPECT_EQ(v, 7u);
  }
}

TEST(ParseDuration, Units) {
  uint64_t ns = 0;
  EXPECT_TRUE(ParseDuration("250", &ns));
  EXPECT_EQ(ns, 250'000'000u);
  EXPECT_TRUE(ParseDuration("250ms", &ns));
  EXPECT_EQ(ns, 250'000'000u);
  EXPECT_TRUE(ParseDuration("2s", &ns));
  EXPECT_EQ(ns, 2'000'000'000u);
  EXPECT_TRUE(ParseDuration("0", &ns));
  EXPECT_EQ(ns, 0u);
  EXPECT_TRUE(ParseDuration("3600s", &ns));
  EXPECT_EQ(ns, kMaxSleepNs);
  for (const char* bad : {"", "s", "ms", "1m", "1 s", "-1", "1.5s", "3601s", "3600001", "1sms",
                          "99999999999999999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad, &ns)) << bad;
  }
}

}  // namespace
}  // namespace shell
