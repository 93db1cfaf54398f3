// Pl061: the Arm PrimeCell GPIO PL061 (PL061 TRM, Arm DDI0190): eight
// lines, each an input or an output, each able to interrupt on an edge
// (rising, falling or both) or a level. On QEMU virt it carries the power
// key (`gpio-keys`, pin 3).
//
// Contract:
// - Init checks the PrimeCell ID (part 0x061), masks every interrupt and
//   clears every edge latched before us. Every other call requires it.
// - Data access uses the PL061's address masking (TRM §3.3.1): address bits
//   [9:2] select which of the eight bits a read returns or a write
//   changes, so Write(mask, value) changes exactly the `mask` bits in one
//   store (no read-modify-write race with another line's owner); a write
//   changes only pins that are outputs. Read(mask) returns the levels of
//   the `mask` pins (others read 0).
// - ConfigureInput follows the TRM's order for changing a line's interrupt
//   (§3.3.2-3.3.5): mask it (GPIOIE), make it an input (GPIODIR), set sense,
//   both-edges and event (GPIOIS/IBE/IEV), clear a stale edge (GPIOIC), then
//   unmask (unless kNone).
// - OnInterrupt reads GPIOMIS once and returns it. It clears the edge
//   pins it reports (GPIOIC); a level pin cannot be cleared while its level
//   holds (its raw status follows the line), so OnInterrupt masks it and
//   the consumer calls Unmask after handling it.
#pragma once

#include <stdint.h>

#include <mica/driver/mmio.h>

#include "drivers/gpio/lib/gpio_lines.h"
#include "drivers/lib/status.h"

namespace mica::drivers::pl061 {

// Register offsets (TRM §3.2, Table 3-1).
inline constexpr uint32_t kGpioData = 0x000;  // 0x000-0x3fc, bits [9:2] mask
inline constexpr uint32_t kGpioDir = 0x400;   // 1 = output
inline constexpr uint32_t kGpioIs = 0x404;    // 1 = level sensitive
inline constexpr uint32_t kGpioIbe = 0x408;   // 1 = both edges
inline constexpr uint32_t kGpioIev = 0x40c;   // 1 = rising edge / high level
inline constexpr uint32_t kGpioIe = 0x410;    // 1 = interrupt unmasked
inline constexpr uint32_t kGpioRis = 0x414;
inline constexpr uint32_t kGpioMis = 0x418;
inline constexpr uint32_t kGpioIc = 0x41c;
inline constexpr uint32_t kGpioAfsel = 0x420;
inline constexpr uint16_t kPl061Part = 0x061;

class Pl061 final : public gpio::GpioLines {
 public:
  static constexpr uint32_t kLines = 8;

  explicit Pl061(driver::RegisterIo& regs) : regs_(regs) {}

  Status Init();

  // Pins in `mask` become outputs where `outputs` has a 1, inputs where 0.
  Status SetDirection(uint8_t mask, uint8_t outputs);
  Status Write(uint8_t mask, uint8_t value);
  Status Read(uint8_t mask, uint8_t* value);

  uint32_t line_count() const override { return kLines; }
  Status ConfigureInput(uint32_t pin, gpio::Trigger trigger) override;
  Status ReadLine(uint32_t pin, bool* high) override;
  Status Unmask(uint32_t pin);

  // The pins whose interrupt fired (bit n = pin n).
  uint8_t OnInterrupt();

 private:
  void Update(uint32_t offset, uint8_t mask, uint8_t bits);

  driver::RegisterIo& regs_;
  bool ready_ = false;
  uint8_t level_pins_ = 0;  // pins armed level-sensitive
};

}  // namespace mica::drivers::pl061
