// Host tests of userboot's command line parsing (cmdline.h).
#include "system/core/userboot/cmdline.h"

#include <gtest/gtest.h>
#include <string.h>

#include <string>

namespace {

using userboot::Options;
using userboot::ParseCommandLine;

struct Parsed {
  char storage[2048];
  Options opts;
  const char* error = nullptr;
};

Parsed Parse(const char* cmdline) {
  Parsed p;
  memset(p.storage, 0x5a, sizeof(p.storage));
  p.error = ParseCommandLine(cmdline, p.storage, sizeof(p.storage), &p.opts);
  return p;
}

TEST(Cmdline, EmptyGivesTheDefault) {
  Parsed p = Parse("");
  ASSERT_EQ(p.error, nullptr);
  EXPECT_STREQ(p.opts.next, userboot::kDefaultNext);
  EXPECT_STREQ(p.opts.next, "bin/component-manager");
  EXPECT_FALSE(p.opts.next_given);
  EXPECT_EQ(p.opts.arg_count, 0u);
}

TEST(Cmdline, OtherWordsAreIgnored) {
  Parsed p = Parse("console=ttyAMA0 kernel.poweroff userboot.nextx=bin/a userboot.next");
  ASSERT_EQ(p.error, nullptr);
  EXPECT_STREQ(p.opts.next, "bin/component-manager");
  EXPECT_FALSE(p.opts.next_given);
}

TEST(Cmdline, Next) {
  Parsed p = Parse("kernel.test=all userboot.next=bin/core-tests kernel.poweroff");
  ASSERT_EQ(p.error, nullptr);
  EXPECT_STREQ(p.opts.next, "bin/core-tests");
  EXPECT_TRUE(p.opts.next_given);
}

TEST(Cmdline, FirstNextCounts) {
  Parsed p = Parse("userboot.next=bin/a userboot.next=bin/b");
  ASSERT_EQ(p.error, nullptr);
  EXPECT_STREQ(p.opts.next, "bin/a");
}

TEST(Cmdline, SeparatorsAndOuterSpace) {
  Parsed p = Parse("  \tuserboot.arg=one\n\nuserboot.next=bin/x\r userboot.arg=two  ");
  ASSERT_EQ(p.error, nullptr);
  EXPECT_STREQ(p.opts.next, "bin/x");
  ASSERT_EQ(p.opts.arg_count, 2u);
  EXPECT_STREQ(p.opts.args[0], "one");
  EXPECT_STREQ(p.opts.args[1], "two");
}

TEST(Cmdline, ArgsInOrderEmptyAllowed) {
  Parsed p = Parse("userboot.arg=a userboot.arg= userboot.arg=c=d");
  ASSERT_EQ(p.error, nullptr);
  ASSERT_EQ(p.opts.arg_count, 3u);
  EXPECT_STREQ(p.opts.args[0], "a");
  EXPECT_STREQ(p.opts.args[1], "");
  EXPECT_STREQ(p.opts.args[2], "c=d");
}

TEST(Cmdline, ValuesPointIntoStorageNotTheInput) {
  char line[] = "userboot.next=bin/y userboot.arg=z";
  Parsed p;
  ASSERT_EQ(ParseCommandLine(line, p.storage, sizeof(p.storage), &p.opts), nullptr);
  memset(line, 0, sizeof(line));
  EXPECT_STREQ(p.opts.next, "bin/y");
  EXPECT_STREQ(p.opts.args[0], "z");
  EXPECT_GE(p.opts.next, p.storage);
  EXPECT_LT(p.opts.next, p.storage + sizeof(p.storage));
}

TEST(Cmdline, EmptyNextIsAnError) {
  Parsed p = Parse("userboot.next= kernel.poweroff");
  ASSERT_NE(p.error, nullptr);
  EXPECT_STREQ(p.error, "userboot.next= is empty");
}

TEST(Cmdline, LongPathIsAnError) {
  std::string line = "userboot.next=" + std::string(userboot::kMaxPath, 'a');
  EXPECT_EQ(Parse(line.c_str()).error, nullptr);
  line += "a";
  Parsed p = Parse(line.c_str());
  ASSERT_NE(p.error, nullptr);
  EXPECT_STREQ(p.error, "the userboot.next= path is too long");
}

TEST(Cmdline, TooManyArgs) {
  std::string line;
  for (size_t i = 0; i < userboot::kMaxArgs; i++) {
    line += "userboot.arg=" + std::to_string(i) + " ";
  }
  Parsed ok = Parse(line.c_str());
  ASSERT_EQ(ok.error, nullptr);
  EXPECT_EQ(ok.opts.arg_count, userboot::kMaxArgs);
  EXPECT_STREQ(ok.opts.args[userboot::kMaxArgs - 1], "31");
  line += "userboot.arg=x";
  EXPECT_STREQ(Parse(line.c_str()).error, "too many userboot.arg= words");
}

TEST(Cmdline, StorageTooSmall) {
  char storage[8];
  Options opts;
  EXPECT_STREQ(ParseCommandLine("12345678", storage, sizeof(storage), &opts),
               "the command line is too long");
  EXPECT_EQ(ParseCommandLine("1234567", storage, sizeof(storage), &opts), nullptr);
}

}  // namespace
