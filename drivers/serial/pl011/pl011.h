// Pl011: the Arm PrimeCell UART PL011 (PL011 TRM, Arm DDI0183), interrupt
// driven in both directions, behind the SerialDevice interface.
//
// Contract:
// - Init(config) follows the TRM's reprogramming order (§3.3.8, UARTCR):
//   disable; wait for FR.BUSY to clear (bounded by config.busy_poll_limit
//   reads, else kTimedOut); flush by clearing LCR_H.FEN; mask and clear
//   every interrupt; if config.clock_hz is non-zero, program IBRD/FBRD for
//   config.baud (§3.3.6: divisor = UARTCLK / (16 * baud) in 16.6 fixed
//   point, rounded); then LCR_H = 8N1 with FIFOs (the LCR_H write latches
//   the divisors, §3.3.7); IFLS = receive 1/2, transmit 1/8; unmask receive,
//   receive-timeout and the four error interrupts; enable UART, TX and RX.
//   clock_hz 0 keeps the divisors firmware or QEMU left (QEMU ignores them).
//   Type-ahead: before each LCR_H write (a FEN change flushes the FIFOs)
//   Init moves what the receive FIFO holds (keys typed while the kernel had
//   the console) to the receive ring, where Read finds it.
//   kInvalidArgs if the divisor is out of range (IBRD 1..65535).
// - OnInterrupt (SerialDevice): reads MIS once, clears what it read, drains
//   the receive FIFO until FR.RXFE (or the receive ring is full) into the
//   receive ring (QEMU raises RXRIS only when its empty FIFO gets a
//   character, and refills the FIFO from its chardev while DR is read: a
//   drain that stops early strands a full FIFO), refills the transmit FIFO while FR.TXFF is clear,
//   and masks the transmit interrupt when the transmit ring is empty (QEMU raises TXRIS on every
//   write and never drops it, so an unmasked idle TX would storm). Received bytes carrying a
//   framing, parity or break error are counted and dropped; an overrun is counted and its byte kept
//   (§3.3.1: OE is reported with the next character, which is itself intact).
// - Read takes bytes from the receive ring; once it is empty, it drains
//   what a full ring left in the FIFO, so a reader that reads until 0 also
//   empties the FIFO (no byte waits there for an interrupt that will not
//   come). With the ring full, further input waits in the FIFO (on QEMU, in
//   its chardev: nothing is lost; on hardware the FIFO overruns, counted).
// - Write queues on the transmit ring, writes straight into the FIFO while
//   it has room (a PL011 raises TXINTR only when its FIFO level falls
//   through the trigger, §2.9.2, so the first bytes must be written to prime
//   it), and unmasks TXINTR only while bytes remain queued.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mica/driver/mmio.h>

#include "drivers/lib/status.h"
#include "drivers/serial/lib/byte_ring.h"
#include "drivers/serial/lib/serial_device.h"

namespace mica::drivers::pl011 {

// Register offsets (TRM §3.2, Table 3-1).
inline constexpr uint32_t kDr = 0x000;
inline constexpr uint32_t kRsrEcr = 0x004;
inline constexpr uint32_t kFr = 0x018;
inline constexpr uint32_t kIbrd = 0x024;
inline constexpr uint32_t kFbrd = 0x028;
inline constexpr uint32_t kLcrH = 0x02c;
inline constexpr uint32_t kCr = 0x030;
inline constexpr uint32_t kIfls = 0x034;
inline constexpr uint32_t kImsc = 0x038;
inline constexpr uint32_t kRis = 0x03c;
inline constexpr uint32_t kMis = 0x040;
inline constexpr uint32_t kIcr = 0x044;

// UARTDR receive status bits (§3.3.1).
inline constexpr uint32_t kDrFe = 1u << 8;
inline constexpr uint32_t kDrPe = 1u << 9;
inline constexpr uint32_t kDrBe = 1u << 10;
inline constexpr uint32_t kDrOe = 1u << 11;
// UARTFR (§3.3.3).
inline constexpr uint32_t kFrBusy = 1u << 3;
inline constexpr uint32_t kFrRxfe = 1u << 4;
inline constexpr uint32_t kFrTxff = 1u << 5;
inline constexpr uint32_t kFrRxff = 1u << 6;
inline constexpr uint32_t kFrTxfe = 1u << 7;
// UARTLCR_H (§3.3.7).
inline constexpr uint32_t kLcrFen = 1u << 4;
inline constexpr uint32_t kLcrWlen8 = 3u << 5;
// UARTCR (§3.3.8).
inline constexpr uint32_t kCrUarten = 1u << 0;
inline constexpr uint32_t kCrTxe = 1u << 8;
inline constexpr uint32_t kCrRxe = 1u << 9;
// UARTIFLS (§3.3.9): TXIFLSEL bits [2:0], RXIFLSEL bits [5:3].
inline constexpr uint32_t kIflsRxHalf = 2u << 3;
inline constexpr uint32_t kIflsTxEighth = 0u;
// Interrupt bits of IMSC/RIS/MIS/ICR (§3.3.10-3.3.13).
inline constexpr uint32_t kIntRx = 1u << 4;
inline constexpr uint32_t kIntTx = 1u << 5;
inline constexpr uint32_t kIntRt = 1u << 6;
inline constexpr uint32_t kIntFe = 1u << 7;
inline constexpr uint32_t kIntPe = 1u << 8;
inline constexpr uint32_t kIntBe = 1u << 9;
inline constexpr uint32_t kIntOe = 1u << 10;
inline constexpr uint32_t kIntErrors = kIntFe | kIntPe | kIntBe | kIntOe;
inline constexpr uint32_t kIntAll = 0x7ff;
inline constexpr uint16_t kPl011Part = 0x011;

struct Pl011Config {
  // UARTCLK in Hz: the `clock-frequency` of the clock the node's `clocks`
  // names for "uartclk" (QEMU virt: a 24 MHz fixed-clock), or the node's
  // own `clock-frequency`. 0: keep the current divisors.
  uint64_t clock_hz = 0;
  uint32_t baud = 115200;
  uint32_t busy_poll_limit = 1u << 20;
  // The node's `arm,primecell-periphid` (DT binding arm,primecell.yaml:
  // the peripheral ID for a cell whose ID registers cannot be read, e.g.
  // the BCM2711's PL011, whose 0x200-byte `reg` ends before them; Linux's
  // amba bus uses it instead of the registers), or 0 to read the ID
  // registers. Bits [11:0] part, [19:12] designer.
  uint32_t periphid = 0;
};

// IBRD and FBRD for `baud` from `clock_hz` (TRM §3.3.6). False if out of
// range.
bool ComputeDivisors(uint64_t clock_hz, uint32_t baud, uint32_t* ibrd, uint32_t* fbrd);

class Pl011 final : public serial::SerialDevice {
 public:
  static constexpr size_t kRingBytes = 4096;
  // FIFO depth of the largest PL011 (r1.5: 32).
  static constexpr uint32_t kMaxFifo = 32;

  explicit Pl011(driver::RegisterIo& regs) : regs_(regs) {}

  Status Init(const Pl011Config& config);

  uint32_t OnInterrupt() override;
  size_t Read(uint8_t* out, size_t n) override;
  size_t Write(const uint8_t* data, size_t n) override;
  size_t TxFree() const override { return tx_.free(); }
  bool TxRingEmpty() const override { return tx_.empty(); }
  const serial::SerialStats& stats() const override { return stats_; }

 private:
  uint32_t DrainRx();
  void FillTx();
  void SetMask(uint32_t imsc);

  driver::RegisterIo& regs_;
  bool ready_ = false;
  uint32_t imsc_ = 0;
  serial::ByteRing<kRingBytes> rx_;
  serial::ByteRing<kRingBytes> tx_;
  serial::SerialStats stats_;
};

}  // namespace mica::drivers::pl011
