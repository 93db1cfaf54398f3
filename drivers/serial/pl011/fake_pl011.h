// FakePl011: a host model of the PL011's FIFOs, flags and interrupts, in
// two flavours:
// - kTrm, as the TRM (DDI0183) describes the hardware: 16- or 32-deep
//   FIFOs (1 deep with LCR_H.FEN clear, §2.4.3); FR.TXFF/TXFE/RXFF/RXFE and
//   BUSY (set while the transmit FIFO holds data, §3.3.3); the transmitter
//   shifts bytes out only when the test calls Transmit with UARTEN and TXE
//   set; RXINTR asserts when the receive level reaches the IFLS trigger and
//   clears when reads take it below (§2.9.2), TXINTR asserts when the
//   transmit level falls to the trigger and clears when writes lift it
//   above; RTINTR when the test calls IdleRx with the FIFO non-empty; a
//   character arriving at a full FIFO is lost and sets OE, reported with
//   the next character stored (§3.3.1); LCR_H latches IBRD/FBRD (§3.3.7).
// - kQemu, as QEMU's hw/char/pl011.c behaves: a write to DR reaches the
//   wire at once and sets TXRIS every time (only ICR clears it); RXRIS
//   rises with the first character (trigger 1) and falls when the FIFO
//   empties; no BUSY, no receive timeout; the enable bits are ignored.
// Type(s) models a host chardev feeding the line (QEMU's can_receive flow
// control): its bytes wait in a backlog and enter the receive FIFO while
// it has room, at once and again after every DR read (QEMU's
// qemu_chr_fe_accept_input), so none is ever lost.
// Either way MIS = RIS & IMSC and the interrupt line is MIS != 0.
#pragma once

#include <stdint.h>

#include <deque>
#include <string>

#include "drivers/lib/fake_registers.h"
#include "drivers/serial/pl011/pl011.h"

namespace mica::drivers::pl011::testing {

enum class Model { kTrm, kQemu };

class FakePl011 : public drivers::testing::FakeRegisterFile {
 public:
  FakePl011(Model model, uint32_t depth) : FakeRegisterFile(0x1000), model_(model), depth_(depth) {
    const uint8_t id[8] = {
        0x11, 0x10, static_cast<uint8_t>(depth == 32 ? 0x34 : 0x14), 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    SetPrimeCellId(id);
  }

  // The line delivers one character with receive status bits (kDrFe...).
  void Receive(uint8_t byte, uint32_t status = 0) {
    if (model_ == Model::kTrm && (!(cr_ & kCrUarten) || !(cr_ & kCrRxe))) {
      return;
    }
    if (rx_.size() >= Depth()) {
      pending_oe_ = true;
      ris_ |= kIntOe;
      lost++;
      return;
    }
    uint32_t d = byte | status | (pending_oe_ ? kDrOe : 0);
    pending_oe_ = false;
    rx_.push_back(d);
    ris_ |= ((status & kDrFe) ? kIntFe : 0) | ((status & kDrPe) ? kIntPe : 0) |
            ((status & kDrBe) ? kIntBe : 0);
    if (rx_.size() == RxTrigger()) {
      ris_ |= kIntRx;
    }
  }
  void Receive(const std::string& s) {
    for (char c : s) {
      Receive(static_cast<uint8_t>(c));
    }
  }
  // The host writes s to the chardev (see above).
  void Type(const std::string& s) {
    backlog_.insert(backlog_.end(), s.begin(), s.end());
    Feed();
  }
  size_t backlog() const { return backlog_.size(); }
  // No character for 32 bit periods (§2.9.2 UARTRTINTR).
  void IdleRx() {
    if (model_ == Model::kTrm && !rx_.empty()) {
      ris_ |= kIntRt;
    }
  }
  // The transmitter shifts out up to n characters.
  void Transmit(size_t n) {
    if (!(cr_ & kCrUarten) || !(cr_ & kCrTxe)) {
      return;
    }
    for (size_t i = 0; i < n && !tx_.empty(); i++) {
      wire += static_cast<char>(tx_.front());
      tx_.pop_front();
      if (tx_.size() == TxTrigger()) {
        ris_ |= kIntTx;
      }
    }
  }

  bool irq_line() const { return (ris_ & imsc_) != 0; }
  size_t rx_level() const { return rx_.size(); }
  size_t tx_level() const { return tx_.size(); }
  uint32_t latched_ibrd() const { return latched_ibrd_; }
  uint32_t latched_fbrd() const { return latched_fbrd_; }
  uint32_t lcr_h() const { return lcr_; }
  uint32_t cr() const { return cr_; }
  uint32_t ifls() const { return ifls_; }
  uint32_t imsc() const { return imsc_; }
  void set_stuck_busy(bool v) { stuck_busy_ = v; }

  std::string wire;       // everything transmitted
  uint64_t lost = 0;      // characters a full receive FIFO lost
  uint64_t tx_drops = 0;  // writes to a full transmit FIFO (a driver bug)

 protected:
  uint32_t OnRead32(uint32_t offset) override {
    switch (offset) {
      case kDr:
        return ReadDr();
      case kFr:
        return Flags();
      case kIbrd:
        return ibrd_;
      case kFbrd:
        return fbrd_;
      case kLcrH:
        return lcr_;
      case kCr:
        return cr_;
      case kIfls:
        return ifls_;
      case kImsc:
        return imsc_;
      case kRis:
        return ris_;
      case kMis:
        return ris_ & imsc_;
      default:
        return 0;
    }
  }
  void OnWrite32(uint32_t offset, uint32_t value) override {
    switch (offset) {
      case kDr:
        WriteDr(static_cast<uint8_t>(value));
        break;
      case kIbrd:
        ibrd_ = value & 0xffff;
        break;
      case kFbrd:
        fbrd_ = value & 0x3f;
        break;
      case kLcrH:
        if ((lcr_ ^ value) & kLcrFen) {
          rx_.clear();
          tx_.clear();
        }
        lcr_ = value & 0xff;
        latched_ibrd_ = ibrd_;
        latched_fbrd_ = fbrd_;
        break;
      case kCr:
        cr_ = value;
        break;
      case kIfls:
        ifls_ = value & 0x3f;
        break;
      case kImsc:
        imsc_ = value & kIntAll;
        break;
      case kIcr:
        ris_ &= ~value;
        break;
      default:
        break;
    }
  }

 private:
  uint32_t Depth() const { return (lcr_ & kLcrFen) ? depth_ : 1; }
  // IFLS fractions 1/8, 1/4, 1/2, 3/4, 7/8 (§3.3.9).
  uint32_t Level(uint32_t sel) const {
    static constexpr uint32_t kEighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};
    return Depth() * kEighths[sel & 7] / 8;
  }
  size_t RxTrigger() const {
    if (model_ == Model::kQemu || !(lcr_ & kLcrFen)) {
      return 1;
    }
    return Level(ifls_ >> 3);
  }
  size_t TxTrigger() const { return (lcr_ & kLcrFen) ? Level(ifls_) : 0; }

  uint32_t Flags() const {
    uint32_t fr = 0;
    fr |= rx_.empty() ? kFrRxfe : 0;
    fr |= rx_.size() >= Depth() ? kFrRxff : 0;
    fr |= tx_.size() >= Depth() ? kFrTxff : 0;
    fr |= tx_.empty() ? kFrTxfe : 0;
    fr |= (!tx_.empty() || stuck_busy_) ? kFrBusy : 0;
    return fr;
  }
  uint32_t ReadDr() {
    if (rx_.empty()) {
      return 0;
    }
    uint32_t d = rx_.front();
    rx_.pop_front();
    if (rx_.size() < RxTrigger()) {
      ris_ &= ~kIntRx;
    }
    if (rx_.empty()) {
      ris_ &= ~kIntRt;
    }
    Feed();
    return d;
  }
  void Feed() {
    while (!backlog_.empty() && rx_.size() < Depth()) {
      Receive(static_cast<uint8_t>(backlog_.front()));
      backlog_.pop_front();
    }
  }
  void WriteDr(uint8_t byte) {
    if (model_ == Model::kQemu) {
      wire += static_cast<char>(byte);
      ris_ |= kIntTx;
      return;
    }
    if (tx_.size() >= Depth()) {
      tx_drops++;
      return;
    }
    tx_.push_back(byte);
    if (tx_.size() == TxTrigger() + 1) {
      ris_ &= ~kIntTx;
    }
  }

  Model model_;
  uint32_t depth_;
  std::deque<uint32_t> rx_;
  std::deque<uint8_t> tx_;
  std::deque<char> backlog_;
  bool pending_oe_ = false;
  bool stuck_busy_ = false;
  uint32_t ibrd_ = 0, fbrd_ = 0, latched_ibrd_ = 0, latched_fbrd_ = 0;
  uint32_t lcr_ = 0, cr_ = 0x300, ifls_ = 0x12, imsc_ = 0, ris_ = 0;
};

}  // namespace mica::drivers::pl011::testing
