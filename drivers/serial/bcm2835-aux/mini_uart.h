// MiniUart: the BCM2711's mini UART ("UART1", `brcm,bcm2835-aux-uart`),
// interrupt driven in both directions behind the SerialDevice interface.
// Registers: BCM2711 ARM Peripherals §2.2 (AUX_MU_*), with the BCM2835
// datasheet errata (elinux.org "BCM2835 datasheet errata", p12-p14), which
// still apply to the BCM2711 document.
//
// Contract:
// - The node's `reg` window starts at AUX_MU_IO (0x7e215040 on the Pi 4),
//   so offsets below are relative to it. AUX_ENABLES lives in the parent
//   `brcm,bcm2835-aux` block (0x7e215000); Init enables the UART there only
//   if the wrapper passes that block's window (`aux`, may be null: firmware
//   and QEMU leave the mini UART enabled, QEMU's AUX_ENABLES reads 1).
// - Init(config, aux): disable RX/TX (CNTL), mask, 8-bit mode (LCR = 3: the
//   errata, bit 1 must be set too), BAUD = clock / (8 * baud) - 1 (§2.2.1)
//   when config.clock_hz is non-zero, clear the transmit FIFO (IIR write
//   bit 2), enable RX/TX, then find the IER layout (below) and enable the
//   receive interrupt. Type-ahead: the receive FIFO is not cleared; first,
//   if the UART is enabled (`aux` null or AUX_ENABLES says so), Init moves
//   what it holds (keys typed while the kernel had the console) to the
//   receive ring, where Read finds it; later bytes raise the interrupt.
// - IER layout: the document gives bit 0 = transmit, bit 1 = receive; the
//   hardware has them the other way round (errata p12; the 16550 layout
//   Linux's 8250 driver uses). QEMU's hw/char/bcm2835_aux.c now matches the
//   hardware, but older releases followed the document. Init tells them
//   apart without a board flag: with both FIFOs
//   empty, enabling only the transmit interrupt makes IIR report a pending
//   "transmit holding register empty" (IIR bits 2:1 = 01), enabling only
//   the receive interrupt reports nothing. Bit pattern 0x1 is tried, then
//   0x2; if neither answer is clear, the hardware layout is kept.
// - OnInterrupt: drains the receive FIFO while LSR.data_ready, counting
//   LSR.overrun (cleared by reading LSR), refills the transmit FIFO while
//   LSR.tx_empty ("can accept at least one byte"), and keeps the transmit
//   interrupt enabled only while the transmit ring holds bytes (it is
//   level-triggered on an empty FIFO; QEMU's TX FIFO is always empty).
// - The mini UART has no parity, framing or break detection.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mica/driver/mmio.h>

#include "drivers/lib/status.h"
#include "drivers/serial/lib/byte_ring.h"
#include "drivers/serial/lib/serial_device.h"

namespace mica::drivers::bcm2835_aux {

// AUX block (window at 0x7e215000).
inline constexpr uint32_t kAuxEnables = 0x04;
inline constexpr uint32_t kAuxEnableMiniUart = 1u << 0;
// Mini UART registers, relative to AUX_MU_IO (AUX offset 0x40).
inline constexpr uint32_t kMuIo = 0x00;
inline constexpr uint32_t kMuIer = 0x04;
inline constexpr uint32_t kMuIir = 0x08;
inline constexpr uint32_t kMuLcr = 0x0c;
inline constexpr uint32_t kMuMcr = 0x10;
inline constexpr uint32_t kMuLsr = 0x14;
inline constexpr uint32_t kMuCntl = 0x20;
inline constexpr uint32_t kMuBaud = 0x28;
inline constexpr uint32_t kMuWindow = 0x40;

inline constexpr uint32_t kIirNotPending = 1u << 0;
inline constexpr uint32_t kIirIdMask = 3u << 1;
inline constexpr uint32_t kIirIdTx = 1u << 1;
inline constexpr uint32_t kIirIdRx = 2u << 1;
inline constexpr uint32_t kIirClearTx = 1u << 2;  // on write (bit 1 clears receive)
inline constexpr uint32_t kLsrDataReady = 1u << 0;
inline constexpr uint32_t kLsrOverrun = 1u << 1;
inline constexpr uint32_t kLsrTxEmpty = 1u << 5;
inline constexpr uint32_t kLsrTxIdle = 1u << 6;
inline constexpr uint32_t kLcr8Bit = 3u;
inline constexpr uint32_t kCntlRxTx = 3u;

struct MiniUartConfig {
  // The VPU core clock feeding the AUX block. 0: keep the firmware's BAUD.
  uint64_t clock_hz = 0;
  uint32_t baud = 115200;
};

// AUX_MU_BAUD for `baud` (rounded to nearest); false if out of range.
bool ComputeBaudReg(uint64_t clock_hz, uint32_t baud, uint32_t* reg);

class MiniUart final : public serial::SerialDevice {
 public:
  static constexpr size_t kRingBytes = 4096;
  static constexpr uint32_t kFifoDepth = 8;

  explicit MiniUart(driver::RegisterIo& regs) : regs_(regs) {}

  Status Init(const MiniUartConfig& config, driver::RegisterIo* aux);

  uint32_t OnInterrupt() override;
  size_t Read(uint8_t* out, size_t n) override;
  size_t Write(const uint8_t* data, size_t n) override;
  size_t TxFree() const override { return tx_.free(); }
  bool TxRingEmpty() const override { return tx_.empty(); }
  const serial::SerialStats& stats() const override { return stats_; }

  // The IER bits Init found (0x1/0x2 on hardware, swapped on QEMU).
  uint32_t rx_enable_bit() const { return rx_bit_; }
  uint32_t tx_enable_bit() const { return tx_bit_; }

 private:
  void ProbeIerLayout();
  bool TxPendingWith(uint32_t ier);
  uint32_t ReadLsr();
  uint32_t DrainRx();
  void FillTx();
  void SetIer(uint32_t ier);

  driver::RegisterIo& regs_;
  bool ready_ = false;
  uint32_t rx_bit_ = 1u << 0;
  uint32_t tx_bit_ = 1u << 1;
  uint32_t ier_ = 0;
  bool overrun_seen_ = false;
  serial::ByteRing<kRingBytes> rx_;
  serial::ByteRing<kRingBytes> tx_;
  serial::SerialStats stats_;
};

}  // namespace mica::drivers::bcm2835_aux
