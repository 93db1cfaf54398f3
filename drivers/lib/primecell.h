// PrimeCell identification registers, shared by every Arm PrimeCell
// peripheral (PL011 TRM DDI0183 §3.3.14-3.3.15, PL031 TRM DDI0224 §3.3.10,
// PL061 TRM DDI0190 §3.3.11): four 8-bit peripheral ID registers at
// 0xFE0-0xFEC and four cell ID registers at 0xFF0-0xFFC, each in bits [7:0]
// of a 32-bit word.
//
// Contract: ReadPrimeCellId reads the eight words and nothing else (no side
// effects on any PrimeCell). IsPrimeCell checks the cell ID (0xB105F00D),
// the designer (0x41, Arm) and the 12-bit part number; the revision and
// configuration fields are reported, not checked, so a later revision of
// the same part still binds.
#pragma once

#include <stdint.h>

#include <mica/driver/mmio.h>

namespace mica::drivers {

struct PrimeCellId {
  uint16_t part = 0;     // PeriphID0[7:0] | PeriphID1[3:0] << 8
  uint8_t designer = 0;  // PeriphID1[7:4] | PeriphID2[3:0] << 4
  uint8_t revision = 0;  // PeriphID2[7:4]
  uint8_t config = 0;    // PeriphID3[7:0]
  uint32_t cell = 0;     // CellID0..3 assembled little-endian
};

inline constexpr uint32_t kPrimeCellPeriphId0 = 0xfe0;
inline constexpr uint32_t kPrimeCellCellId0 = 0xff0;
inline constexpr uint32_t kPrimeCellCellId = 0xb105f00d;
inline constexpr uint8_t kPrimeCellDesignerArm = 0x41;

inline PrimeCellId ReadPrimeCellId(driver::RegisterIo& regs) {
  uint8_t p[4];
  uint32_t cell = 0;
  for (uint32_t i = 0; i < 4; i++) {
    p[i] = static_cast<uint8_t>(regs.Read32(kPrimeCellPeriphId0 + 4 * i));
    cell |= (regs.Read32(kPrimeCellCellId0 + 4 * i) & 0xffu) << (8 * i);
  }
  PrimeCellId id;
  id.part = static_cast<uint16_t>(p[0] | ((p[1] & 0xfu) << 8));
  id.designer = static_cast<uint8_t>((p[1] >> 4) | ((p[2] & 0xfu) << 4));
  id.revision = static_cast<uint8_t>(p[2] >> 4);
  id.config = p[3];
  id.cell = cell;
  return id;
}

inline bool IsPrimeCell(driver::RegisterIo& regs, uint16_t part) {
  PrimeCellId id = ReadPrimeCellId(regs);
  return id.cell == kPrimeCellCellId && id.designer == kPrimeCellDesignerArm && id.part == part;
}

}  // namespace mica::drivers
