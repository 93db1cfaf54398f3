#include "drivers/serial/bcm2835-aux/mini_uart.h"

namespace mica::drivers::bcm2835_aux {

bool ComputeBaudReg(uint64_t clock_hz, uint32_t baud, uint32_t* reg) {
  if (baud == 0 || clock_hz == 0 || clock_hz > (uint64_t{1} << 40)) {
    return false;
  }
  // baud = clock / (8 * (reg + 1)) (§2.2.1).
  uint64_t div = (clock_hz + 4 * uint64_t{baud}) / (8 * uint64_t{baud});
  if (div == 0 || div - 1 > 0xffff) {
    return false;
  }
  *reg = static_cast<uint32_t>(div - 1);
  return true;
}

Status MiniUart::Init(const MiniUartConfig& config, driver::RegisterIo* aux) {
  ready_ = false;
  uint32_t baud_reg = 0;
  if (config.clock_hz != 0 && !ComputeBaudReg(config.clock_hz, config.baud, &baud_reg)) {
    return Status::kInvalidArgs;
  }
  rx_.Clear();
  tx_.Clear();
  uint32_t enables = aux != nullptr ? aux->Read32(kAuxEnables) : kAuxEnableMiniUart;
  if (enables & kAuxEnableMiniUart) {
    DrainRx();  // type-ahead: kept, not cleared
  }
  if (aux != nullptr) {
    aux->Write32(kAuxEnables, enables | kAuxEnableMiniUart);
  }
  regs_.Write32(kMuCntl, 0);
  SetIer(0);
  regs_.Write32(kMuLcr, kLcr8Bit);
  regs_.Write32(kMuMcr, 0);
  if (config.clock_hz != 0) {
    regs_.Write32(kMuBaud, baud_reg);
  }
  regs_.Write32(kMuIir, kIirClearTx);
  regs_.Write32(kMuCntl, kCntlRxTx);
  ProbeIerLayout();
  SetIer(rx_bit_);
  ready_ = true;
  return Status::kOk;
}

bool MiniUart::TxPendingWith(uint32_t ier) {
  SetIer(ier);
  uint32_t iir = regs_.Read32(kMuIir);
  return !(iir & kIirNotPending) && (iir & kIirIdMask) == kIirIdTx;
}

void MiniUart::ProbeIerLayout() {
  bool bit0_tx = TxPendingWith(1u << 0);
  bool bit1_tx = TxPendingWith(1u << 1);
  SetIer(0);
  if (bit0_tx && !bit1_tx) {
    rx_bit_ = 1u << 1;
    tx_bit_ = 1u << 0;
  } else {
    rx_bit_ = 1u << 0;
    tx_bit_ = 1u << 1;
  }
}

void MiniUart::SetIer(uint32_t ier) {
  ier_ = ier;
  regs_.Write32(kMuIer, ier);
}

uint32_t MiniUart::OnInterrupt() {
  if (!ready_) {
    return 0;
  }
  stats_.interrupts++;
  uint32_t events = DrainRx();
  size_t before = tx_.size();
  FillTx();
  if (tx_.size() != before) {
    events |= serial::kTxSpace;
  }
  if (tx_.empty() && (ier_ & tx_bit_)) {
    SetIer(ier_ & ~tx_bit_);
  }
  return events;
}

uint32_t MiniUart::ReadLsr() {
  // Reading LSR clears its overrun bit, so every read counts it.
  uint32_t lsr = regs_.Read32(kMuLsr);
  if (lsr & kLsrOverrun) {
    stats_.overrun_errors++;
    overrun_seen_ = true;
  }
  return lsr;
}

uint32_t MiniUart::DrainRx() {
  uint32_t events = 0;
  for (uint32_t i = 0; i < 2 * kFifoDepth; i++) {
    uint32_t lsr = ReadLsr();
    if (!(lsr & kLsrDataReady)) {
      break;
    }
    uint8_t b = static_cast<uint8_t>(regs_.Read32(kMuIo));
    if (!rx_.PushByte(b)) {
      stats_.rx_dropped++;
      continue;
    }
    stats_.rx_bytes++;
    events |= serial::kRxReady;
  }
  if (overrun_seen_) {
    overrun_seen_ = false;
    events |= serial::kError;
  }
  return events;
}

void MiniUart::FillTx() {
  while (!tx_.empty() && (ReadLsr() & kLsrTxEmpty)) {
    regs_.Write32(kMuIo, tx_.PopByte());
    stats_.tx_bytes++;
  }
}

size_t MiniUart::Read(uint8_t* out, size_t n) {
  return rx_.Pop(out, n);
}

size_t MiniUart::Write(const uint8_t* data, size_t n) {
  if (!ready_) {
    return 0;
  }
  size_t queued = tx_.Push(data, n);
  FillTx();
  queued += tx_.Push(data + queued, n - queued);
  if (!tx_.empty() && !(ier_ & tx_bit_)) {
    SetIer(ier_ | tx_bit_);
  }
  return queued;
}

}  // namespace mica::drivers::bcm2835_aux
