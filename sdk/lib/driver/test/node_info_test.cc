// The node description (<mica/driver/node_info.h>): what the writer makes
// the reader gives back, and the reader refuses every malformed buffer of
// the classes below without reading outside it (ASan checks the reads:
// each case parses a heap copy of exactly its size).
#include <gtest/gtest.h>
#include <mica/driver/node_info.h>
#include <string.h>

#include <memory>
#include <vector>

namespace mica::driver {
namespace {

const uint8_t kCompatible[] = "arm,pl031\0arm,primecell";

std::vector<uint8_t> Sample() {
  std::vector<uint8_t> buf(4096);
  NodeInfoWriter w(buf.data(), static_cast<uint32_t>(buf.size()));
  EXPECT_TRUE(w.SetPath("/pl031@9010000"));
  EXPECT_TRUE(w.AddReg({0x9010000, 0x1000}));
  EXPECT_TRUE(w.AddReg({0xa000200, 0x200}));
  EXPECT_TRUE(w.AddIrq({34, 0}));
  EXPECT_TRUE(w.AddProperty("compatible", kCompatible, sizeof(kCompatible)));
  uint8_t cells[] = {0, 0, 0, 2, 0, 0, 0, 5};
  EXPECT_TRUE(w.AddProperty("interrupts", cells, sizeof(cells)));
  EXPECT_TRUE(w.AddProperty("empty", nullptr, 0));
  uint32_t size = w.Finish();
  EXPECT_NE(size, 0u);
  buf.resize(size);
  return buf;
}

bool ParseCopy(const std::vector<uint8_t>& bytes) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + 1]);
  if (!bytes.empty()) {
    memcpy(copy.get(), bytes.data(), bytes.size());
  }
  NodeInfo info;
  bool ok = info.Parse(copy.get(), bytes.size());
  if (ok) {
    // Every accessor stays inside the copy (ASan).
    for (uint32_t i = 0; i < info.property_count(); i++) {
      NodeProperty p;
      EXPECT_TRUE(info.PropertyAt(i, &p));
      const char* s;
      for (uint32_t k = 0; p.StringAt(k, &s); k++) {
      }
    }
    RegRange r;
    for (uint32_t i = 0; info.Reg(i, &r); i++) {
    }
  }
  return ok;
}

TEST(NodeInfo, RoundTrip) {
  std::vector<uint8_t> buf = Sample();
  NodeInfo info;
  ASSERT_TRUE(info.Parse(buf.data(), buf.size()));
  EXPECT_STREQ(info.path(), "/pl031@9010000");
  ASSERT_EQ(info.reg_count(), 2u);
  RegRange r;
  ASSERT_TRUE(info.Reg(1, &r));
  EXPECT_EQ(r.paddr, 0xa000200u);
  EXPECT_EQ(r.size, 0x200u);
  EXPECT_FALSE(info.Reg(2, &r));
  IrqSpec irq;
  ASSERT_TRUE(info.Irq(0, &irq));
  EXPECT_EQ(irq.vector, 34u);
  EXPECT_FALSE(info.Irq(1, &irq));
  NodeProperty p;
  ASSERT_TRUE(info.FindProperty("compatible", &p));
  const char* s = nullptr;
  ASSERT_TRUE(p.StringAt(1, &s));
  EXPECT_STREQ(s, "arm,primecell");
  EXPECT_FALSE(p.StringAt(2, &s));
  ASSERT_TRUE(info.FindProperty("interrupts", &p));
  uint32_t v = 0;
  ASSERT_TRUE(p.ReadU32(1, &v));
  EXPECT_EQ(v, 5u);
  EXPECT_FALSE(p.ReadU32(2, &v));
  ASSERT_TRUE(info.FindProperty("empty", &p));
  EXPECT_EQ(p.size, 0u);
  EXPECT_FALSE(info.FindProperty("absent", &p));
}

TEST(NodeInfo, EveryTruncationIsRefused) {
  std::vector<uint8_t> buf = Sample();
  for (size_t n = 0; n < buf.size(); n++) {
    std::vector<uint8_t> cut(buf.begin(), buf.begin() + static_cast<long>(n));
    EXPECT_FALSE(ParseCopy(cut)) << "size " << n;
  }
  std::vector<uint8_t> longer = buf;
  longer.push_back(0);
  EXPECT_FALSE(ParseCopy(longer));
}

TEST(NodeInfo, EveryByteCorruptionStaysInBounds) {
  std::vector<uint8_t> buf = Sample();
  const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
  size_t refused = 0;
  for (size_t i = 0; i < buf.size(); i++) {
    for (uint8_t v : values) {
      if (buf[i] == v) {
        continue;
      }
      std::vector<uint8_t> bad = buf;
      bad[i] = v;
      refused += ParseCopy(bad) ? 0 : 1;
    }
  }
  // The header and the record sizes are all checked: most corruptions of
  // them are refused (a changed byte inside a value is still a valid
  // description).
  EXPECT_GT(refused, buf.size());
}

TEST(NodeInfo, HeaderFieldsAreChecked) {
  std::vector<uint8_t> buf = Sample();
  for (size_t field : {0u, 4u, 8u, 12u, 16u, 20u, 24u, 28u}) {
    std::vector<uint8_t> bad = buf;
    bad[field + 3] ^= 0x40;  // a large value in each 32-bit field
    EXPECT_FALSE(ParseCopy(bad)) << "field at " << field;
  }
}

TEST(NodeInfo, WriterKeepsOrderAndBounds) {
  uint8_t buf[256];
  {
    NodeInfoWriter w(buf, sizeof(buf));
    EXPECT_FALSE(w.AddReg({0, 0}));  // before the path
    EXPECT_EQ(w.Finish(), 0u);
  }
  {
    NodeInfoWriter w(buf, sizeof(buf));
    ASSERT_TRUE(w.SetPath("/a"));
    ASSERT_TRUE(w.AddIrq({32, 0}));
    EXPECT_FALSE(w.AddReg({0, 0}));  // regs come before irqs
    EXPECT_EQ(w.Finish(), 0u);
  }
  {
    NodeInfoWriter w(buf, 40);  // too small for the property
    ASSERT_TRUE(w.SetPath("/a"));
    EXPECT_FALSE(w.AddProperty("compatible", kCompatible, sizeof(kCompatible)));
    EXPECT_EQ(w.Finish(), 0u);
  }
  {
    NodeInfoWriter w(buf, sizeof(buf));
    ASSERT_TRUE(w.SetPath("/a"));
    for (uint32_t i = 0; i < kNodeInfoMaxIrqs; i++) {
      ASSERT_TRUE(w.AddIrq({32 + i, 0}));
    }
    EXPECT_FALSE(w.AddIrq({99, 0}));
  }
  std::vector<char> long_path(kNodeInfoMaxPath + 1, 'x');
  long_path.back() = '\0';
  NodeInfoWriter w(buf, sizeof(buf));
  EXPECT_FALSE(w.SetPath(long_path.data()));
}

TEST(NodeInfo, StringListWithoutTerminatorYieldsNothingPastIt) {
  const uint8_t raw[] = {'a', 0, 'b', 'c'};
  NodeProperty p{"x", raw, sizeof(raw)};
  const char* s = nullptr;
  EXPECT_TRUE(p.StringAt(0, &s));
  EXPECT_STREQ(s, "a");
  EXPECT_FALSE(p.StringAt(1, &s));
}

}  // namespace
}  // namespace mica::driver
