// The binary manifest reader: round trip, then every field broken on its
// own, every truncation, and random mutations (ASan watches the reads; the
// buffer is exactly the manifest's size).
#include <gtest/gtest.h>
#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include "devicetree/tests/test_util.h"
#include "system/core/driver_manager/lib/manifest.h"
#include "system/core/driver_manager/lib/tests/manifest_writer.h"

namespace {

using dm::ConditionKind;
using dm_test::ManifestSpec;
using dm_test::Put32;
using dm_test::Put64;

ManifestSpec Sample() {
  ManifestSpec s;
  s.name = "virtio-blk";
  s.binary = "bin/drivers/virtio-blk";
  s.binds = {{"virtio,device",
              {{"virtio,device-id", ConditionKind::kU32, 2, ""},
               {"virtio,transport", ConditionKind::kString, 0, "mmio"}}},
             {"mica,test-block", {{"test,flag", ConditionKind::kPresent, 0, ""}}},
             {"mica,fake-block", {}}};
  s.restart = dm::RestartPolicy{3, 60'000'000'000, 5'000'000, 500'000'000, 20'000'000'000};
  s.liveness_ns = 250'000'000;
  return s;
}

// Parses an exact-size copy of `bytes`. The parsed Manifest points into
// that copy, which stays alive until the next call.
dm::Status Parse(const std::vector<uint8_t>& bytes, dm::Manifest* m, dm::Error* err) {
  static fdt_test::ExactBuffer buf;
  buf = fdt_test::ExactBuffer(bytes);
  return dm::ParseManifest(buf.data(), buf.size(), m, err);
}

TEST(Manifest, RoundTrip) {
  const std::vector<uint8_t> bytes = dm_test::Encode(Sample());
  dm::Manifest m;
  dm::Error err;
  ASSERT_EQ(dm::ParseManifest(bytes.data(), bytes.size(), &m, &err), dm::Status::kOk)
      << err.message;
  EXPECT_STREQ(m.name(), "virtio-blk");
  EXPECT_STREQ(m.binary(), "bin/drivers/virtio-blk");
  ASSERT_EQ(m.bind_count(), 3u);
  ASSERT_EQ(m.condition_count(), 3u);
  EXPECT_STREQ(m.bind(0).compatible, "virtio,device");
  EXPECT_EQ(m.bind(0).first_condition, 0u);
  EXPECT_EQ(m.bind(0).condition_count, 2u);
  EXPECT_EQ(m.bind(2).condition_count, 0u);
  EXPECT_STREQ(m.condition(0).property, "virtio,device-id");
  EXPECT_EQ(m.condition(0).kind, ConditionKind::kU32);
  EXPECT_EQ(m.condition(0).u32, 2u);
  EXPECT_EQ(m.condition(1).kind, ConditionKind::kString);
  EXPECT_STREQ(m.condition(1).string, "mmio");
  EXPECT_EQ(m.condition(2).kind, ConditionKind::kPresent);
  EXPECT_EQ(m.bind(3).compatible, nullptr);
  EXPECT_EQ(m.condition(3).property, nullptr);
  EXPECT_EQ(m.restart().max_restarts, 3u);
  EXPECT_EQ(m.restart().window_ns, 60'000'000'000u);
  EXPECT_EQ(m.restart().backoff_initial_ns, 5'000'000u);
  EXPECT_EQ(m.restart().backoff_max_ns, 500'000'000u);
  EXPECT_EQ(m.restart().stable_ns, 20'000'000'000u);
  EXPECT_EQ(m.liveness_ns(), 250'000'000u);
  EXPECT_EQ(m.argument(), nullptr);
}

TEST(Manifest, Argument) {
  ManifestSpec s = Sample();
  s.has_argument = true;
  s.argument = "crash";
  dm::Manifest m;
  dm::Error err;
  ASSERT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kOk) << err.message;
  EXPECT_STREQ(m.argument(), "crash");
  s.argument = "";
  EXPECT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kMalformed);
}

// Each corruption on its own must be refused with a message naming the
// field's offset.
TEST(Manifest, EveryFieldChecked) {
  const std::vector<uint8_t> good = dm_test::Encode(Sample());
  const uint32_t strings = good[40] | good[41] << 8;
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> corrupt;
    const char* expect;  // a substring of the message
  };
  const Case cases[] = {
      {"magic", [](auto& b) { b[0] ^= 1; }, "offset 0: bad magic"},
      {"version", [](auto& b) { b[4] = 2; }, "offset 4"},
      {"header size", [](auto& b) { b[6] = 64; }, "offset 4"},
      {"total size", [](auto& b) { Put32(b, 8, uint32_t(b.size()) + 1); }, "offset 8"},
      {"flags", [](auto& b) { b[12] = 8; }, "offset 12: unknown flags"},
      {"argument without flag", [](auto& b) { b[52] = 1; }, "offset 52: argument set"},
      {"argument offset",
       [](auto& b) {
         b[12] = 1;
         Put32(b, 52, 5000);
       },
       "offset 52: argument"},
      {"name offset", [](auto& b) { Put32(b, 16, 100000); }, "offset 16: name string offset"},
      {"binary offset", [](auto& b) { Put32(b, 20, 0xffffffff); }, "offset 20: binary"},
      {"bind table", [](auto& b) { Put32(b, 24, 100); }, "offset 24"},
      {"bind count 0", [](auto& b) { Put32(b, 28, 0); }, "offset 28"},
      {"bind count huge", [](auto& b) { Put32(b, 28, 0x40000000); }, "offset 28"},
      {"bind count +1", [](auto& b) { Put32(b, 28, 4); }, "offset 24"},
      {"condition count huge", [](auto& b) { Put32(b, 36, 0xffffffff); }, "offset 36"},
      {"condition table", [](auto& b) { Put32(b, 32, 0); }, "offset 24"},
      {"string table", [](auto& b) { Put32(b, 40, 8); }, "offset 24"},
      {"string size", [](auto& b) { Put32(b, 44, 1); }, "offset 24"},
      {"max restarts", [](auto& b) { Put32(b, 48, 1001); }, "offset 48"},
      {"window 0", [](auto& b) { Put64(b, 56, 0); }, "offset 56"},
      {"window huge", [](auto& b) { Put64(b, 56, ~0ull); }, "offset 56: duration"},
      {"backoff 0", [](auto& b) { Put64(b, 64, 0); }, "offset 56"},
      {"backoff order", [](auto& b) { Put64(b, 72, 1); }, "offset 56"},
      {"stable 0", [](auto& b) { Put64(b, 80, 0); }, "offset 56"},
      {"liveness huge", [](auto& b) { Put64(b, 88, ~0ull); }, "offset 88: duration"},
      {"bind string", [](auto& b) { Put32(b, 96, 0x7fffffff); }, "offset 96: compatible"},
      {"bind conditions", [](auto& b) { Put32(b, 100, 2); }, "offset 100: bind 0"},
      {"bind conditions wrap", [](auto& b) { Put32(b, 100, 0xffffffff); }, "offset 100"},
      {"bind too many", [](auto& b) { Put32(b, 104, 9); }, "offset 100"},
      {"condition name", [](auto& b) { Put32(b, 132, 99999); }, "offset 132: property"},
      {"condition kind", [](auto& b) { Put32(b, 136, 3); }, "offset 136: condition kind"},
      {"string value", [](auto& b) { Put32(b, 152, 99999); }, "offset 152: condition value"},
      {"present value", [](auto& b) { Put32(b, 164, 1); }, "offset 164: presence"},
      {"unterminated", [](auto& b) { b.back() = 'x'; }, "not NUL-terminated"},
      {"empty string", [strings](auto& b) { Put32(b, 16, uint32_t(b.size()) - 1 - strings); },
       "length 0"},
      {"name syntax", [strings](auto& b) { b[strings] = 'V'; }, "offset 16: driver name"},
      {"binary syntax", [strings](auto& b) { b[strings + 11] = '/'; }, "offset 20: binary path"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<uint8_t> bad = good;
    c.corrupt(bad);
    dm::Manifest m;
    dm::Error err;
    EXPECT_EQ(Parse(bad, &m, &err), dm::Status::kMalformed);
    EXPECT_EQ(err.status, dm::Status::kMalformed);
    EXPECT_NE(std::string(err.message).find(c.expect), std::string::npos) << err.message;
    EXPECT_EQ(m.bind_count(), 0u);  // nothing half-parsed is left behind
  }
}

TEST(Manifest, EveryTruncationAndExtension) {
  const std::vector<uint8_t> good = dm_test::Encode(Sample());
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    dm::Manifest m;
    dm::Error err;
    EXPECT_EQ(Parse(cut, &m, &err), dm::Status::kMalformed) << n;
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  dm::Manifest m;
  EXPECT_EQ(Parse(longer, &m, nullptr), dm::Status::kMalformed);
  EXPECT_EQ(dm::ParseManifest(nullptr, 10, &m, nullptr), dm::Status::kMalformed);
}

TEST(Manifest, Limits) {
  ManifestSpec s = Sample();
  s.binds.assign(dm::kMaxBinds, {"a,b", {}});
  dm::Manifest m;
  dm::Error err;
  EXPECT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kOk) << err.message;
  s.binds.push_back({"a,b", {}});
  EXPECT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kMalformed);
  s = Sample();
  s.binds[0].compatible.assign(dm::kMaxString, 'c');
  EXPECT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kOk) << err.message;
  s.binds[0].compatible.push_back('c');
  EXPECT_EQ(Parse(dm_test::Encode(s), &m, &err), dm::Status::kMalformed);
}

TEST(Manifest, NameAndPathSyntax) {
  for (const char* ok : {"a", "pl011", "virtio-blk", "x_1", "9p"}) {
    EXPECT_TRUE(dm::IsValidDriverName(ok)) << ok;
  }
  for (const char* bad : {"", "-a", "_a", "A", "a b", "a/b", "a.b"}) {
    EXPECT_FALSE(dm::IsValidDriverName(bad)) << bad;
  }
  EXPECT_FALSE(dm::IsValidDriverName(std::string(65, 'a').c_str()));
  for (const char* ok : {"bin/pl011", "a", "drivers/x.y/z-1", "...x", "a..b"}) {
    EXPECT_TRUE(dm::IsValidBinaryPath(ok)) << ok;
  }
  for (const char* bad :
       {"", "/bin/x", "bin/", "bin//x", "./x", "../x", "bin/..", "a/./b", "b in", "bin\\x"}) {
    EXPECT_FALSE(dm::IsValidBinaryPath(bad)) << bad;
  }
}

TEST(Manifest, RandomMutations) {
  const std::vector<uint8_t> good = dm_test::Encode(Sample());
  uint32_t state = 99;
  uint32_t accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> b = good;
    for (int k = 0; k < 1 + iter % 3; ++k) {
      state = state * 1103515245u + 12345u;
      b[(state >> 8) % b.size()] = uint8_t(state >> 20);
    }
    dm::Manifest m;
    dm::Error err;
    if (Parse(b, &m, &err) == dm::Status::kOk) {
      ++accepted;
      // What is accepted is internally consistent.
      for (uint32_t i = 0; i < m.bind_count(); ++i) {
        const dm::BindRule r = m.bind(i);
        ASSERT_NE(r.compatible, nullptr);
        ASSERT_LE(r.first_condition + r.condition_count, m.condition_count());
      }
      EXPECT_LE(m.restart().backoff_initial_ns, m.restart().backoff_max_ns);
    } else {
      EXPECT_NE(err.message[0], '\0');
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
