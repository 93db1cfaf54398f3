// The decoder fuzzer's seed corpus (corpus/, committed) is current: each
// seed is a handle-description byte (decode_fuzzer.cc) and a message this
// test encodes; the test fails if a committed seed differs, and rewrites
// them when IDL_WRITE_SEEDS=1 is set (run it from any directory).
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using idl::idltest::Color;
using idl::idltest::Echo;

std::vector<uint8_t> Seed(uint8_t handle_spec, const Message& m) {
  std::vector<uint8_t> seed{handle_spec};
  seed.insert(seed.end(), m.bytes.begin(), m.bytes.end());
  return seed;
}

void CheckSeed(const std::string& name, const std::vector<uint8_t>& seed) {
  std::string path = std::string(SEED_DIR) + "/" + name;
  if (getenv("IDL_WRITE_SEEDS") != nullptr) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()),
               static_cast<std::streamsize>(seed.size()));
  }
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> committed((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
  EXPECT_EQ(committed, seed) << path << " is stale: rerun with IDL_WRITE_SEEDS=1";
}

TEST(IdlSeeds, CorpusIsCurrent) {
  ResetHandles();
  Message full = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
  ASSERT_EQ(full.status, MICA_OK);
  // Five handles: a VMO, then four events (bits 3..6).
  CheckSeed("full", Seed(0x7D, full));
  CloseAll(full);
  Echo::EchoRequest minimal;
  minimal.value.color = Color::GREEN;
  Message m = EncodeBody(0, Echo::kEchoOrdinal, minimal);
  ASSERT_EQ(m.status, MICA_OK);
  CheckSeed("minimal", Seed(0x00, m));
  // Strings of 2-, 3- and 4-byte UTF-8 sequences for the fuzzer to cut.
  Echo::EchoRequest utf8 = WrapEcho(FullEverything());
  utf8.value.name.Set("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  utf8.value.nick.value.Set("\xEF\xBF\xBD\xED\x9F\xBF");
  utf8.value.names[0].Set("\xC2\x80\xDF\xBF");
  Message u = EncodeBody(1, Echo::kEchoOrdinal, utf8);
  ASSERT_EQ(u.status, MICA_OK);
  CheckSeed("utf8", Seed(0x7D, u));
  CloseAll(u);
  EXPECT_EQ(OpenCount(), 0u);
}

}  // namespace
}  // namespace idl_test
