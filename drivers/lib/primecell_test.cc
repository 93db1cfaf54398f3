// PrimeCell ID decoding (PL011 TRM DDI0183 §3.3.14, PL031 TRM DDI0224
// §3.3.10, PL061 TRM DDI0190 §3.3.11) against the IDs QEMU's models report.
#include "drivers/lib/primecell.h"

#include <gtest/gtest.h>

#include "drivers/lib/fake_registers.h"

namespace mica::drivers {
namespace {

class IdOnly : public testing::FakeRegisterFile {
 public:
  IdOnly() : FakeRegisterFile(0x1000) {}

 protected:
  uint32_t OnRead32(uint32_t) override { return 0; }
  void OnWrite32(uint32_t, uint32_t) override {}
};

TEST(PrimeCell, DecodesEachPart) {
  struct Case {
    uint8_t id[8];
    uint16_t part;
    uint8_t revision;
  };
  const Case cases[] = {
      {{0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1}, 0x011, 1},  // PL011 r1.x
      {{0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1}, 0x011, 3},  // PL011 r1.5
      {{0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1}, 0x031, 1},  // PL031
      {{0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1}, 0x061, 0},  // PL061
  };
  for (const Case& c : cases) {
    IdOnly regs;
    regs.SetPrimeCellId(c.id);
    PrimeCellId id = ReadPrimeCellId(regs);
    EXPECT_EQ(id.part, c.part);
    EXPECT_EQ(id.designer, kPrimeCellDesignerArm);
    EXPECT_EQ(id.revision, c.revision);
    EXPECT_EQ(id.cell, kPrimeCellCellId);
    EXPECT_TRUE(IsPrimeCell(regs, c.part));
    EXPECT_FALSE(IsPrimeCell(regs, static_cast<uint16_t>(c.part + 1)));
    EXPECT_EQ(regs.bad_accesses(), 0u);
  }
}

TEST(PrimeCell, RejectsEveryCorruptedByte) {
  const uint8_t good[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
  // Every byte except the revision nibble and PeriphID3 (configuration)
  // takes part in the check: flipping any bit of it must fail.
  for (int byte = 0; byte < 8; byte++) {
    for (int bit = 0; bit < 8; bit++) {
      uint8_t id[8];
      for (int i = 0; i < 8; i++) {
        id[i] = good[i];
      }
      id[byte] ^= static_cast<uint8_t>(1u << bit);
      IdOnly regs;
      regs.SetPrimeCellId(id);
      bool ignored = byte == 3 || (byte == 2 && bit >= 4);
      EXPECT_EQ(IsPrimeCell(regs, 0x031), ignored) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(PrimeCell, MissingDeviceReadsAllOnesAndFails) {
  alignas(8) uint8_t buf[0x1000];
  for (uint8_t& b : buf) {
    b = 0xff;
  }
  driver::MmioRegion region(buf, sizeof(buf));
  EXPECT_FALSE(IsPrimeCell(region, 0x031));
  driver::MmioRegion small(buf, 0x100);  // window too small for the ID words
  EXPECT_FALSE(IsPrimeCell(small, 0x031));
  EXPECT_EQ(small.faults(), 8u);
}

}  // namespace
}  // namespace mica::drivers
