// FakeMiniUart: a host model of the BCM2711 mini UART (ARM Peripherals
// §2.2 with the BCM2835 errata), in two flavours:
// - kHardware: IER bit 0 enables the receive interrupt, bit 1 transmit
//   (errata p12); 8-deep FIFOs; the transmitter shifts bytes out when the
//   test calls Transmit with CNTL's transmitter enabled; LSR bit 5 = the
//   transmit FIFO can take a byte, bit 6 = it is empty and idle; a byte
//   arriving at a full receive FIFO is lost and sets LSR bit 1, which a
//   read of LSR clears; the interrupt is pending while (receive enabled and
//   the receive FIFO holds data) or (transmit enabled and its FIFO is
//   empty), IIR bits 2:1 naming receive (10) before transmit (01).
// - kQemu: hw/char/bcm2835_aux.c as QEMU 10 has it (IER bit 0 receive,
//   bit 1 transmit, like the hardware); a write reaches the wire at once, so with transmit enabled
//   the interrupt is always pending; LSR = 0x60 | data ready; a full receive FIFO refuses input
//   (QEMU's chardev holds it back) instead of losing it.
// - kQemuDocumentBits: the same with the IER bits as the datasheet prints
//   them (bit 0 transmit, bit 1 receive), as older QEMU releases had them.
// Offsets are relative to AUX_MU_IO (the node's window); FakeAux is the
// AUX block with AUX_ENABLES.
#pragma once

#include <stdint.h>

#include <deque>
#include <string>

#include "drivers/lib/fake_registers.h"
#include "drivers/serial/bcm2835-aux/mini_uart.h"

namespace mica::drivers::bcm2835_aux::testing {

enum class Model { kHardware, kQemu, kQemuDocumentBits };

class FakeAux : public drivers::testing::FakeRegisterFile {
 public:
  FakeAux() : FakeRegisterFile(8) {}
  uint32_t enables = 0;

 protected:
  uint32_t OnRead32(uint32_t offset) override { return offset == kAuxEnables ? enables : 0; }
  void OnWrite32(uint32_t offset, uint32_t value) override {
    if (offset == kAuxEnables) {
      enables = value & 7;
    }
  }
};

class FakeMiniUart : public drivers::testing::FakeRegisterFile {
 public:
  static constexpr size_t kDepth = 8;
  explicit FakeMiniUart(Model model) : FakeRegisterFile(kMuWindow), model_(model) {}

  // The line delivers a byte. False if QEMU held it back (FIFO full).
  bool Receive(uint8_t b) {
    if (rx_.size() >= kDepth) {
      if (qemu()) {
        return false;
      }
      overrun_ = true;
      lost++;
      return true;
    }
    if (model_ == Model::kHardware && !(cntl_ & 1)) {
      return true;  // receiver disabled: the line is not sampled
    }
    rx_.push_back(b);
    return true;
  }
  void Transmit(size_t n) {
    if (qemu() || !(cntl_ & 2)) {
      return;
    }
    for (size_t i = 0; i < n && !tx_.empty(); i++) {
      wire += static_cast<char>(tx_.front());
      tx_.pop_front();
    }
  }

  bool irq_line() const { return (Iir() & kIirNotPending) == 0; }
  size_t rx_level() const { return rx_.size(); }
  uint32_t ier() const { return ier_; }
  uint32_t lcr() const { return lcr_; }
  uint32_t cntl() const { return cntl_; }
  uint32_t baud() const { return baud_; }
  uint32_t RxBit() const { return model_ == Model::kQemuDocumentBits ? 2 : 1; }
  uint32_t TxBit() const { return model_ == Model::kQemuDocumentBits ? 1 : 2; }

  std::string wire;
  uint64_t lost = 0;
  uint64_t tx_drops = 0;

 protected:
  uint32_t OnRead32(uint32_t offset) override {
    switch (offset) {
      case kMuIo:
        return ReadIo();
      case kMuIer:
        return ier_;
      case kMuIir:
        return Iir();
      case kMuLcr:
        return lcr_;
      case kMuLsr:
        return ReadLsr();
      case kMuCntl:
        return cntl_;
      case kMuBaud:
        return baud_;
      default:
        return 0;
    }
  }
  void OnWrite32(uint32_t offset, uint32_t value) override {
    switch (offset) {
      case kMuIo:
        WriteIo(static_cast<uint8_t>(value));
        break;
      case kMuIer:
        ier_ = value & 3;
        break;
      case kMuIir:
        if (value & 2) {
          rx_.clear();
        }
        if (value & 4) {
          tx_.clear();
        }
        break;
      case kMuLcr:
        lcr_ = value & 0xff;
        break;
      case kMuCntl:
        cntl_ = value & 0xff;
        break;
      case kMuBaud:
        baud_ = value & 0xffff;
        break;
      default:
        break;
    }
  }

 private:
  uint32_t Iir() const {
    bool rx = (ier_ & RxBit()) && !rx_.empty();
    bool tx = (ier_ & TxBit()) && (qemu() || tx_.empty());
    if (qemu()) {
      // QEMU: the ID says receive when that interrupt is pending, else
      // transmit, even with nothing pending.
      return 0xc0 | (rx ? kIirIdRx : kIirIdTx) | ((rx || tx) ? 0 : kIirNotPending);
    }
    if (rx) {
      return 0xc0 | kIirIdRx;
    }
    if (tx) {
      return 0xc0 | kIirIdTx;
    }
    return 0xc0 | kIirNotPending;
  }
  uint32_t ReadLsr() {
    if (qemu()) {
      return 0x60 | (rx_.empty() ? 0 : kLsrDataReady);
    }
    uint32_t lsr = (rx_.empty() ? 0 : kLsrDataReady) | (overrun_ ? kLsrOverrun : 0) |
                   (tx_.size() < kDepth ? kLsrTxEmpty : 0) | (tx_.empty() ? kLsrTxIdle : 0);
    overrun_ = false;
    return lsr;
  }
  uint32_t ReadIo() {
    if (rx_.empty()) {
      return 0;
    }
    uint8_t b = rx_.front();
    rx_.pop_front();
    return b;
  }
  void WriteIo(uint8_t b) {
    if (qemu()) {
      wire += static_cast<char>(b);
      return;
    }
    if (tx_.size() >= kDepth) {
      tx_drops++;
      return;
    }
    tx_.push_back(b);
  }

  bool qemu() const { return model_ != Model::kHardware; }

  Model model_;
  std::deque<uint8_t> rx_;
  std::deque<uint8_t> tx_;
  bool overrun_ = false;
  uint32_t ier_ = 0, lcr_ = 0, cntl_ = 3, baud_ = 0;
};

}  // namespace mica::drivers::bcm2835_aux::testing
