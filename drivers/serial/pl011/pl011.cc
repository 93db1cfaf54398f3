#include "drivers/serial/pl011/pl011.h"

#include "drivers/lib/primecell.h"

namespace mica::drivers::pl011 {

bool ComputeDivisors(uint64_t clock_hz, uint32_t baud, uint32_t* ibrd, uint32_t* fbrd) {
  if (baud == 0 || clock_hz == 0 || clock_hz > (uint64_t{1} << 40)) {
    return false;
  }
  // 64 * UARTCLK / (16 * baud) = 4 * UARTCLK / baud, rounded to nearest.
  uint64_t div = (8 * clock_hz / baud + 1) / 2;
  uint64_t i = div >> 6;
  uint64_t f = div & 63;
  if (i == 0 || i > 0xffff || (i == 0xffff && f != 0)) {
    return false;
  }
  *ibrd = static_cast<uint32_t>(i);
  *fbrd = static_cast<uint32_t>(f);
  return true;
}

Status Pl011::Init(const Pl011Config& config) {
  ready_ = false;
  uint32_t ibrd = 0;
  uint32_t fbrd = 0;
  if (config.clock_hz != 0 && !ComputeDivisors(config.clock_hz, config.baud, &ibrd, &fbrd)) {
    return Status::kInvalidArgs;
  }
  bool is_pl011 = config.periphid != 0
                      ? (config.periphid & 0xfffu) == kPl011Part &&
                            ((config.periphid >> 12) & 0xffu) == kPrimeCellDesignerArm
                      : IsPrimeCell(regs_, kPl011Part);
  if (!is_pl011) {
    return Status::kNotFound;
  }
  rx_.Clear();
  tx_.Clear();
  DrainRx();  // type-ahead: kept, not flushed
  regs_.Write32(kCr, 0);
  uint32_t polls = 0;
  while (regs_.Read32(kFr) & kFrBusy) {
    if (++polls >= config.busy_poll_limit) {
      return Status::kTimedOut;
    }
  }
  DrainRx();
  regs_.Write32(kLcrH, 0);  // FEN = 0 flushes both FIFOs
  SetMask(0);
  regs_.Write32(kIcr, kIntAll);
  regs_.Write32(kRsrEcr, 0);  // clears the receive error status
  if (config.clock_hz != 0) {
    regs_.Write32(kIbrd, ibrd);
    regs_.Write32(kFbrd, fbrd);
  }
  DrainRx();
  regs_.Write32(kLcrH, kLcrWlen8 | kLcrFen);
  regs_.Write32(kIfls, kIflsRxHalf | kIflsTxEighth);
  SetMask(kIntRx | kIntRt | kIntErrors);
  regs_.Write32(kCr, kCrUarten | kCrTxe | kCrRxe);
  ready_ = true;
  return Status::kOk;
}

void Pl011::SetMask(uint32_t imsc) {
  imsc_ = imsc;
  regs_.Write32(kImsc, imsc);
}

uint32_t Pl011::OnInterrupt() {
  if (!ready_) {
    return 0;
  }
  stats_.interrupts++;
  uint32_t mis = regs_.Read32(kMis) & kIntAll;
  // Clear first: a condition that re-arises while we work raises it again.
  regs_.Write32(kIcr, mis);
  uint32_t events = 0;
  if (mis & (kIntRx | kIntRt | kIntErrors)) {
    events |= DrainRx();
  }
  if (mis & kIntTx) {
    size_t before = tx_.size();
    FillTx();
    if (tx_.size() != before) {
      events |= serial::kTxSpace;
    }
  }
  if (tx_.empty() && (imsc_ & kIntTx)) {
    SetMask(imsc_ & ~kIntTx);
  }
  return events;
}

uint32_t Pl011::DrainRx() {
  uint32_t events = 0;
  // Until the FIFO is empty: QEMU raises RXRIS only when a character enters
  // an empty FIFO and refills it from its chardev as fast as DR is read, so
  // a drain that stops early (this loop once stopped at 64 bytes) leaves a
  // full FIFO that never interrupts again. A full ring stops it too: the
  // rest waits in the FIFO (and QEMU's chardev) until Read makes room. The
  // count bounds a flag that never reads empty.
  for (size_t i = 0; i < kRingBytes + kMaxFifo && !rx_.full() && !(regs_.Read32(kFr) & kFrRxfe);
       i++) {
    uint32_t d = regs_.Read32(kDr);
    if (d & kDrOe) {
      stats_.overrun_errors++;
      events |= serial::kError;
    }
    if (d & (kDrBe | kDrPe | kDrFe)) {
      // A break reads as a zero byte with FE set too; count it as a break.
      if (d & kDrBe) {
        stats_.break_errors++;
      } else if (d & kDrPe) {
        stats_.parity_errors++;
      } else {
        stats_.framing_errors++;
      }
      events |= serial::kError;
      continue;
    }
    if (!rx_.PushByte(static_cast<uint8_t>(d))) {
      stats_.rx_dropped++;
      continue;
    }
    stats_.rx_bytes++;
    events |= serial::kRxReady;
  }
  return events;
}

void Pl011::FillTx() {
  while (!tx_.empty() && !(regs_.Read32(kFr) & kFrTxff)) {
    regs_.Write32(kDr, tx_.PopByte());
    stats_.tx_bytes++;
  }
}

size_t Pl011::Read(uint8_t* out, size_t n) {
  size_t got = rx_.Pop(out, n);
  if (got < n && ready_) {
    // The ring ran dry: what a full ring left in the FIFO (DrainRx), which
    // QEMU will not announce again.
    DrainRx();
    got += rx_.Pop(out + got, n - got);
  }
  return got;
}

size_t Pl011::Write(const uint8_t* data, size_t n) {
  if (!ready_) {
    return 0;
  }
  size_t queued = tx_.Push(data, n);
  FillTx();
  queued += tx_.Push(data + queued, n - queued);
  if (!tx_.empty() && !(imsc_ & kIntTx)) {
    SetMask(imsc_ | kIntTx);
  }
  return queued;
}

}  // namespace mica::drivers::pl011
