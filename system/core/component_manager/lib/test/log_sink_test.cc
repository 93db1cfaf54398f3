// cm::AttachesLogSink and cm::LogMoniker (log_sink.h): which routed
// connections the manager attaches through log.Admin, and the moniker
// their records carry.
#include "system/core/component_manager/lib/log_sink.h"

#include <gtest/gtest.h>
#include <string.h>

#include <string>
#include <vector>

#include "system/core/component_manager/lib/test/builder.h"

namespace {

using cm_test::Builder;

struct Parsed {
  std::vector<uint8_t> bytes;
  cm::Manifest m;
};

void Parse(const Builder& b, Parsed* out) {
  out->bytes = b.Finish();
  cm::Error err;
  ASSERT_EQ(cm::ParseManifest(out->bytes.data(), out->bytes.size(), &out->m, &err), cm::Status::kOk)
      << err.message;
}

cm::Str S(const char* s) {
  cm::Str out;
  out.data = s;
  out.size = static_cast<uint16_t>(strlen(s));
  return out;
}

TEST(AttachesLogSink, OnlyLogSinkOfAProviderDeclaringLogAdmin) {
  Parsed log;  // system/core/root/meta/log.cml
  Parse(Builder()
            .Program("bin/log-service")
            .Capability("log.Sink")
            .Capability("log.Reader")
            .Capability("log.Admin")
            .Expose("log.Sink", 2, "")
            .Expose("log.Reader", 2, ""),
        &log);
  EXPECT_TRUE(cm::AttachesLogSink(&log.m, S("log.Sink")));
  EXPECT_FALSE(cm::AttachesLogSink(&log.m, S("log.Reader")));
  EXPECT_FALSE(cm::AttachesLogSink(&log.m, S("log.Admin")));
  EXPECT_FALSE(cm::AttachesLogSink(&log.m, S("log.Sink2")));
  EXPECT_FALSE(cm::AttachesLogSink(&log.m, S("log.Sin")));

  Parsed plain;  // serves log.Sink but cannot be told who writes
  Parse(Builder().Program("bin/x").Capability("log.Sink").Expose("log.Sink", 2, ""), &plain);
  EXPECT_FALSE(cm::AttachesLogSink(&plain.m, S("log.Sink")));

  Parsed dir;  // log.Admin as a directory is not the protocol
  Parse(Builder().Program("bin/x").Capability("log.Sink").Capability("log.Admin", 2), &dir);
  EXPECT_FALSE(cm::AttachesLogSink(&dir.m, S("log.Sink")));

  EXPECT_FALSE(cm::AttachesLogSink(nullptr, S("log.Sink")));
}

TEST(LogMoniker, WithoutTheLeadingSlash) {
  char buf[101];
  EXPECT_EQ(cm::LogMoniker("/driver_manager", buf, sizeof(buf)), 14u);
  EXPECT_STREQ(buf, "driver_manager");
  cm::LogMoniker("/run:hello-3", buf, sizeof(buf));
  EXPECT_STREQ(buf, "run:hello-3");
  cm::LogMoniker("/core/net", buf, sizeof(buf));
  EXPECT_STREQ(buf, "core/net");
  cm::LogMoniker("/", buf, sizeof(buf));
  EXPECT_STREQ(buf, "root");
  cm::LogMoniker("", buf, sizeof(buf));
  EXPECT_STREQ(buf, "root");
}

TEST(LogMoniker, CutToTheBuffer) {
  std::string longer = "/" + std::string(150, 'a');
  char buf[101];
  EXPECT_EQ(cm::LogMoniker(longer.c_str(), buf, sizeof(buf)), 100u);
  EXPECT_EQ(std::string(buf), std::string(100, 'a'));
  char tiny[1];
  EXPECT_EQ(cm::LogMoniker("/shell", tiny, sizeof(tiny)), 0u);
  EXPECT_STREQ(tiny, "");
}

}  // namespace
