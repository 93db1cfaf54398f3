// The logging API's pure half (format.h): what a caller's arguments become.
#include "system/ulib/log/format.h"

#include <gtest/gtest.h>

#include <string>

// wire.cc closes the handles a message did not take; these messages carry
// none, so this must never run.
extern "C" mica_status_t mica_handle_close(mica_handle_t) {
  ADD_FAILURE() << "no handle should be closed";
  return MICA_OK;
}

namespace {

std::string Str(const auto& s) {
  return std::string(s.data, s.size);
}

int Build(idl::log::Entry* e, int sev, const char* tag, const mica_log_kv_t* kv, size_t n,
          const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int r = mica_log_internal::BuildEntry(e, sev, tag, kv, n, fmt, args);
  va_end(args);
  return r;
}

bool Utf8(const auto& s) {
  return mica::idl::IsUtf8(s.data, s.size);
}

TEST(LogApi, FieldsAndFormatting) {
  idl::log::Entry e;
  mica_log_kv_t kv[] = {{"iface", "eth0"}, {"mtu", "1500"}};
  EXPECT_EQ(Build(&e, MICA_LOG_SEVERITY_WARN, "net", kv, 2, "x=%d %s", 42, "up"),
            MICA_LOG_SEVERITY_WARN);
  EXPECT_EQ(e.severity, idl::log::Severity::WARN);
  EXPECT_EQ(Str(e.tag), "net");
  EXPECT_EQ(Str(e.message), "x=42 up");
  ASSERT_EQ(e.pairs.count, 2u);
  EXPECT_EQ(Str(e.pairs[0].key), "iface");
  EXPECT_EQ(Str(e.pairs[1].value), "1500");
}

TEST(LogApi, SeverityIsClamped) {
  idl::log::Entry e;
  for (int sev = -5; sev <= 12; sev++) {
    int got = Build(&e, sev, "t", nullptr, 0, "m");
    int want = sev < 1 ? 1 : sev > 6 ? 6 : sev;
    EXPECT_EQ(got, want);
    EXPECT_EQ(static_cast<int>(e.severity), want);
    EXPECT_TRUE(idl::log::IsValid(e.severity));
  }
}

TEST(LogApi, NullsBecomeEmpty) {
  idl::log::Entry e;
  mica_log_kv_t kv[] = {{nullptr, "v"}, {"k", nullptr}};
  Build(&e, MICA_LOG_SEVERITY_INFO, nullptr, kv, 2, nullptr);
  EXPECT_EQ(e.tag.size, 0u);
  EXPECT_EQ(e.message.size, 0u);
  ASSERT_EQ(e.pairs.count, 2u);
  EXPECT_EQ(Str(e.pairs[0].key), "");
  EXPECT_EQ(Str(e.pairs[0].value), "v");
  EXPECT_EQ(Str(e.pairs[1].value), "");
  Build(&e, MICA_LOG_SEVERITY_INFO, "t", nullptr, 5, "m");  // null pairs, nonzero count
  EXPECT_EQ(e.pairs.count, 0u);
}

// Every length around each limit, with 1-, 2-, 3- and 4-byte characters:
// cut to the limit, never inside a character, always valid UTF-8.
TEST(LogApi, LimitsCutAtCharacterBoundaries) {
  const char* chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  for (const char* ch : chars) {
    size_t w = strlen(ch);
    for (size_t total = 0; total < 600; total += (total < 20 || total > 490) ? 1 : 37) {
      std::string text;
      while (text.size() + w <= total) {
        text += ch;
      }
      idl::log::Entry e;
      mica_log_kv_t kv[] = {{text.c_str(), text.c_str()}};
      Build(&e, MICA_LOG_SEVERITY_INFO, text.c_str(), kv, 1, "%s", text.c_str());
      auto check = [&](const auto& s, size_t limit) {
        size_t want = text.size() <= limit ? text.size() : limit / w * w;
        EXPECT_EQ(s.size, want) << "width " << w << " total " << total << " limit " << limit;
        EXPECT_TRUE(Utf8(s));
        EXPECT_EQ(Str(s), text.substr(0, want));
      };
      check(e.tag, idl::log::MAX_TAG);
      check(e.message, idl::log::MAX_MESSAGE);
      check(e.pairs[0].key, idl::log::MAX_KEY);
      check(e.pairs[0].value, idl::log::MAX_VALUE);
    }
  }
}

TEST(LogApi, BadBytesBecomeQuestionMarks) {
  idl::log::Entry e;
  Build(&e, MICA_LOG_SEVERITY_INFO, "t\xff", nullptr, 0, "a\xc3(b\xed\xa0\x80");
  EXPECT_EQ(Str(e.tag), "t?");
  EXPECT_EQ(Str(e.message), "a?(b???");
  EXPECT_TRUE(Utf8(e.message));
}

TEST(LogApi, AtMostMaxPairs) {
  mica_log_kv_t kv[12];
  char keys[12][4];
  for (int i = 0; i < 12; i++) {
    snprintf(keys[i], sizeof(keys[i]), "k%d", i);
    kv[i] = {keys[i], "v"};
  }
  for (size_t n = 0; n <= 12; n++) {
    idl::log::Entry e;
    Build(&e, MICA_LOG_SEVERITY_INFO, "t", kv, n, "m");
    EXPECT_EQ(e.pairs.count, n < idl::log::MAX_PAIRS ? n : idl::log::MAX_PAIRS);
    for (uint32_t i = 0; i < e.pairs.count; i++) {
      EXPECT_EQ(Str(e.pairs[i].key), keys[i]);
    }
  }
}

// The entry always encodes (what the library sends is always accepted).
TEST(LogApi, EntryAlwaysEncodes) {
  std::string big(2000, '\xe2');
  idl::log::Entry e;
  mica_log_kv_t kv[9];
  for (auto& p : kv) {
    p = {big.c_str(), big.c_str()};
  }
  Build(&e, 99, big.c_str(), kv, 9, "%s%s", big.c_str(), "\xf0\x9f\x98\x80");
  idl::log::Sink::WriteRequest req;
  req.entry = e;
  alignas(8) uint8_t bytes[idl::log::Sink::WriteRequest::kMaxBytes];
  mica::idl::Encoder enc(bytes, sizeof(bytes), nullptr, 0);
  EXPECT_EQ(mica::idl::EncodeMessage(enc, 0, idl::log::Sink::kVersion,
                                     idl::log::Sink::kWriteOrdinal, req),
            MICA_OK);
}

TEST(LogApi, FallbackLine) {
  idl::log::Entry e;
  mica_log_kv_t kv[] = {{"a", "1"}, {"b", "x y"}};
  Build(&e, MICA_LOG_SEVERITY_ERROR, "disk", kv, 2, "bad\nsector %d", 7);
  char line[256];
  size_t n = mica_log_internal::FormatFallback(e, line, sizeof(line));
  EXPECT_STREQ(line, "[disk] ERROR: bad sector 7 a=1 b=x y");
  EXPECT_EQ(n, strlen(line));
  Build(&e, MICA_LOG_SEVERITY_TRACE, nullptr, nullptr, 0, "m");
  mica_log_internal::FormatFallback(e, line, sizeof(line));
  EXPECT_STREQ(line, "TRACE: m");
  for (size_t cap = 1; cap < 10; cap++) {
    char small[10];
    EXPECT_EQ(mica_log_internal::FormatFallback(e, small, cap), cap - 1);
    EXPECT_EQ(small[cap - 1], '\0');
  }
  EXPECT_EQ(mica_log_internal::FormatFallback(e, line, 0), 0u);
}

}  // namespace
