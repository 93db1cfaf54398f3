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

// Splits `line`, takes its redirection: the words left joined by '|',
// then the target ("-" none) and "append" or "truncate", or the error.
std::string Redirect(const char* line) {
  std::string copy = line;
  char* w[17] = {};
  size_t n = Split(copy.data(), w, 16);
  const char* target = nullptr;
  bool append = false;
  const char* bad = TakeRedirect(&n, w, &target, &append);
  std::string out;
  for (size_t i = 0; i < n; i++) {
    out += (i != 0 ? "|" : "") + std::string(w[i]);
  }
  EXPECT_EQ(w[n], nullptr);
  if (bad != nullptr) {
    return out + " error: " + bad;
  }
  return out + " " + (target != nullptr ? target : "-") + " " + (append ? "append" : "truncate");
}

TEST(TakeRedirect, Forms) {
  EXPECT_EQ(Redirect("echo hello world"), "echo|hello|world - truncate");
  EXPECT_EQ(Redirect("echo hello > f.txt"), "echo|hello f.txt truncate");
  EXPECT_EQ(Redirect("echo hello >> f.txt"), "echo|hello f.txt append");
  EXPECT_EQ(Redirect("echo hello >f.txt"), "echo|hello f.txt truncate");
  EXPECT_EQ(Redirect("echo hello >>/data/f.txt"), "echo|hello /data/f.txt append");
  // Anywhere after the command; the words after it stay in order.
  EXPECT_EQ(Redirect("echo a > f b c"), "echo|a|b|c f truncate");
  EXPECT_EQ(Redirect("ls > f"), "ls f truncate");
  // A '>' inside a word is text.
  EXPECT_EQ(Redirect("echo a>b"), "echo|a>b - truncate");
}

TEST(TakeRedirect, Errors) {
  EXPECT_EQ(Redirect("echo hello >"), "echo|hello|> error: > needs a file");
  EXPECT_EQ(Redirect("echo hello >>"), "echo|hello|>> error: >> needs a file");
  EXPECT_EQ(Redirect("echo > >> f"), "echo|>|>>|f error: > needs a file");
  EXPECT_EQ(Redirect("echo > a > b"), "echo|>|a|>|b error: one redirection at a time");
  EXPECT_EQ(Redirect("echo >a >>b"), "echo|>a|>>b error: one redirection at a time");
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

// Runs ParseLogArgs on a line (split at blanks).
const char* ParseLog(const char* line, LogArgs* out, std::string* storage) {
  *storage = line;
  char* w[16];
  size_t n = Split(storage->data(), w, 16);
  return ParseLogArgs(static_cast<int>(n), w, out);
}

TEST(ParseLogArgs, NoneIsEverythingOnce) {
  LogArgs a;
  std::string st;
  ASSERT_EQ(ParseLog("", &a, &st), nullptr);
  EXPECT_FALSE(a.follow);
  EXPECT_EQ(a.min_severity, 0);
  EXPECT_STREQ(a.moniker, "");
  EXPECT_STREQ(a.tag, "");
}

TEST(ParseLogArgs, EveryFilterInBothForms) {
  for (const char* line : {"-f --severity warn --moniker /shell --tag net",
                           "--tag=net --moniker=/shell -f --severity=warn"}) {
    LogArgs a;
    std::string st;
    ASSERT_EQ(ParseLog(line, &a, &st), nullptr) << line;
    EXPECT_TRUE(a.follow) << line;
    EXPECT_EQ(a.min_severity, 4) << line;
    EXPECT_STREQ(a.moniker, "/shell") << line;
    EXPECT_STREQ(a.tag, "net") << line;
  }
}

TEST(ParseLogArgs, EverySeverityName) {
  const char* names[] = {"trace", "debug", "info", "warn", "error", "fatal"};
  for (int i = 0; i < 6; i++) {
    EXPECT_EQ(ParseSeverity(names[i]), i + 1) << names[i];
    LogArgs a;
    std::string st;
    std::string line = std::string("--severity ") + names[i];
    ASSERT_EQ(ParseLog(line.c_str(), &a, &st), nullptr) << line;
    EXPECT_EQ(a.min_severity, i + 1) << line;
  }
  for (const char* bad : {"", "WARN", "warning", "7", "inf"}) {
    EXPECT_EQ(ParseSeverity(bad), 0) << bad;
  }
}

TEST(ParseLogArgs, Rejects) {
  for (const char* line : {"-x", "--severity", "--severity loud", "--moniker", "--tag=",
                           "--moniker=", "--severity=", "f", "--tags x", "--moniker-x y"}) {
    LogArgs a;
    std::string st;
    EXPECT_NE(ParseLog(line, &a, &st), nullptr) << line;
  }
}

}  // namespace
}  // namespace shell
