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
  // Three handles: a VMO, then two events (bits 2 and 3).
  CheckSeed("full", Seed(0x0F, full));
  CloseAll(full);
  Echo::EchoRequest minimal;
  minimal.value.color = Color::GREEN;
  Message m = EncodeBody(0, Echo::kEchoOrdinal, minimal);
  ASSERT_EQ(m.status, MICA_OK);
  CheckSeed("minimal", Seed(0x00, m));
  EXPECT_EQ(OpenCount(), 0u);
}

}  // namespace
}  // namespace idl_test
