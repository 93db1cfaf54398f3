// FakePl031: a host model of the PL031 (TRM DDI0224 §3.3; QEMU
// hw/rtc/pl031.c behaves the same): the counter advances with the test's
// clock once RTCstart is set; RTCLR sets it; the match raises RTCRIS when
// the counter reaches RTCMR; RTCMIS = RTCRIS & RTCIMSC; RTCICR clears.
#pragma once

#include "drivers/lib/fake_registers.h"
#include "drivers/rtc/pl031/pl031.h"

namespace mica::drivers::pl031::testing {

class FakePl031 : public drivers::testing::FakeRegisterFile {
 public:
  explicit FakePl031(uint32_t start_count, bool started = true)
      : FakeRegisterFile(0x1000), count_(start_count), started_(started) {
    const uint8_t id[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    SetPrimeCellId(id);
  }

  // The test's clock: `seconds` pass; the match is checked at every tick.
  void Advance(uint32_t seconds) {
    for (uint32_t i = 0; i < seconds; i++) {
      if (started_) {
        count_++;
        CheckMatch();
      }
    }
  }
  bool irq_line() const { return (ris_ & imsc_) != 0; }
  uint32_t count() const { return count_; }
  bool started() const { return started_; }

 protected:
  uint32_t OnRead32(uint32_t offset) override {
    switch (offset) {
      case kRtcDr:
        return count_;
      case kRtcMr:
        return mr_;
      case kRtcLr:
        return lr_;
      case kRtcCr:
        return started_ ? 1 : 0;
      case kRtcImsc:
        return imsc_;
      case kRtcRis:
        return ris_;
      case kRtcMis:
        return ris_ & imsc_;
      default:
        return 0;
    }
  }
  void OnWrite32(uint32_t offset, uint32_t value) override {
    switch (offset) {
      case kRtcMr:
        mr_ = value;
        CheckMatch();
        break;
      case kRtcLr:
        lr_ = value;
        count_ = value;
        CheckMatch();
        break;
      case kRtcCr:
        started_ = started_ || (value & 1);
        break;
      case kRtcImsc:
        imsc_ = value & 1;
        break;
      case kRtcIcr:
        ris_ &= ~value;
        break;
      default:
        break;
    }
  }

 private:
  void CheckMatch() {
    if (count_ == mr_) {
      ris_ |= 1;
    }
  }

  uint32_t count_;
  bool started_;
  uint32_t mr_ = 0;
  uint32_t lr_ = 0;
  uint32_t imsc_ = 0;
  uint32_t ris_ = 0;
};

}  // namespace mica::drivers::pl031::testing
