// bin/component-manager's arguments (lib/options.h).
#include "system/core/component_manager/lib/options.h"

#include <gtest/gtest.h>

namespace {

TEST(CmOptions, Defaults) {
  cm::Options o;
  EXPECT_STREQ(o.root, "meta/root.cm");
  EXPECT_EQ(o.exit_with, nullptr);
  EXPECT_EQ(o.stop_timeout_ms, 3000u);
}

TEST(CmOptions, Accepted) {
  cm::Options o;
  EXPECT_EQ(cm::ParseArgument("--root=meta/cm-test-root.cm", &o), nullptr);
  EXPECT_STREQ(o.root, "meta/cm-test-root.cm");
  EXPECT_EQ(cm::ParseArgument("--exit-with=/checker", &o), nullptr);
  EXPECT_STREQ(o.exit_with, "/checker");
  EXPECT_EQ(cm::ParseArgument("--stop-timeout-ms=0", &o), nullptr);
  EXPECT_EQ(o.stop_timeout_ms, 0u);
  EXPECT_EQ(cm::ParseArgument("--stop-timeout-ms=4294967295", &o), nullptr);
  EXPECT_EQ(o.stop_timeout_ms, 4294967295u);
}

TEST(CmOptions, RejectedLeaveOptionsAlone) {
  const char* bad[] = {"",
                       "--root=",
                       "--root",
                       "root=meta/x.cm",
                       "--exit-with=checker",
                       "--exit-with=",
                       "--stop-timeout-ms=",
                       "--stop-timeout-ms=-1",
                       "--stop-timeout-ms=12a",
                       "--stop-timeout-ms=4294967296",
                       "--stop-timeout-ms=99999999999999999999999",
                       "--unknown=1"};
  for (const char* arg : bad) {
    cm::Options o;
    EXPECT_EQ(cm::ParseArgument(arg, &o), arg) << arg;
    EXPECT_STREQ(o.root, "meta/root.cm") << arg;
    EXPECT_EQ(o.exit_with, nullptr) << arg;
    EXPECT_EQ(o.stop_timeout_ms, 3000u) << arg;
  }
}

}  // namespace
