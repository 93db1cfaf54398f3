// bin/log-service's switches (options.h): every switch, its bounds and
// what is refused.
#include "system/core/log_service/options.h"

#include <gtest/gtest.h>

namespace log_service {
namespace {

TEST(LogOptions, Defaults) {
  Options o;
  EXPECT_EQ(o.capacity, 65536u);
  EXPECT_TRUE(o.console);
  EXPECT_EQ(o.console_min, Severity::kInfo);
  EXPECT_EQ(o.kernel_poll_ms, 250u);
  EXPECT_TRUE(o.merge_kernel);
  EXPECT_FALSE(o.exit_when_idle);
  EXPECT_EQ(o.max_connections, 256u);
}

TEST(LogOptions, GoodSwitches) {
  Options o;
  EXPECT_EQ(ParseOption("--capacity=256", &o), nullptr);
  EXPECT_EQ(o.capacity, 256u);
  EXPECT_EQ(ParseOption("--capacity=16777216", &o), nullptr);
  EXPECT_EQ(o.capacity, 16777216u);
  EXPECT_EQ(ParseOption("--console=warn", &o), nullptr);
  EXPECT_EQ(o.console_min, Severity::kWarn);
  EXPECT_EQ(ParseOption("--console=none", &o), nullptr);
  EXPECT_FALSE(o.console);
  EXPECT_EQ(ParseOption("--console=TRACE", &o), nullptr);
  EXPECT_TRUE(o.console);
  EXPECT_EQ(o.console_min, Severity::kTrace);
  EXPECT_EQ(ParseOption("--kernel-poll-ms=1", &o), nullptr);
  EXPECT_EQ(o.kernel_poll_ms, 1u);
  EXPECT_EQ(ParseOption("--kernel-poll-ms=60000", &o), nullptr);
  EXPECT_EQ(o.kernel_poll_ms, 60000u);
  EXPECT_EQ(ParseOption("--no-kernel", &o), nullptr);
  EXPECT_FALSE(o.merge_kernel);
  EXPECT_EQ(ParseOption("--exit-when-idle", &o), nullptr);
  EXPECT_TRUE(o.exit_when_idle);
  EXPECT_EQ(ParseOption("--max-connections=1", &o), nullptr);
  EXPECT_EQ(o.max_connections, 1u);
  EXPECT_EQ(ParseOption("--max-connections=4096", &o), nullptr);
  EXPECT_EQ(o.max_connections, 4096u);
}

TEST(LogOptions, BadSwitchesChangeNothing) {
  const char* bad[] = {"",
                       "--capacity=",
                       "--capacity=255",
                       "--capacity=16777217",
                       "--capacity=1k",
                       "--capacity=-1",
                       "--capacity=99999999999999999999",
                       "--console=",
                       "--console=loud",
                       "--console=0",
                       "--kernel-poll-ms=0",
                       "--kernel-poll-ms=60001",
                       "--no-kernel=1",
                       "--exit-when-idle=yes",
                       "--max-connections=0",
                       "--max-connections=4097",
                       "capacity=4096",
                       "--unknown"};
  for (const char* word : bad) {
    Options o;
    EXPECT_EQ(ParseOption(word, &o), word) << word;
    Options d;
    EXPECT_EQ(o.capacity, d.capacity) << word;
    EXPECT_EQ(o.console, d.console) << word;
    EXPECT_EQ(o.console_min, d.console_min) << word;
    EXPECT_EQ(o.kernel_poll_ms, d.kernel_poll_ms) << word;
    EXPECT_EQ(o.merge_kernel, d.merge_kernel) << word;
    EXPECT_EQ(o.exit_when_idle, d.exit_when_idle) << word;
    EXPECT_EQ(o.max_connections, d.max_connections) << word;
  }
}

}  // namespace
}  // namespace log_service
