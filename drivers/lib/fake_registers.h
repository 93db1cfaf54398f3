// FakeRegisterFile: the base of the host tests' device models. A device
// model overrides OnRead32/OnWrite32 for its registers; the base answers the
// PrimeCell ID words, logs every access (so a test can check the order the
// TRM requires) and counts accesses that are misaligned, not 32-bit, or
// outside the window, which every PrimeCell test expects to be zero
// (PL0xx registers are 32-bit words; QEMU's PL011 even rejects other sizes).
#pragma once

#include <stdint.h>

#include <vector>

#include <mica/driver/mmio.h>

namespace mica::drivers::testing {

struct Access {
  bool write;
  uint32_t offset;
  uint32_t value;
};

class FakeRegisterFile : public driver::RegisterIo {
 public:
  explicit FakeRegisterFile(uint32_t size) : size_(size) {}

  // PeriphID0..3 and CellID0..3 as eight bytes (0xfe0..0xffc).
  void SetPrimeCellId(const uint8_t (&id)[8]) {
    for (int i = 0; i < 8; i++) {
      id_[i] = id[i];
    }
  }

  uint8_t Read8(uint32_t offset) override { return static_cast<uint8_t>(Narrow(offset)); }
  uint16_t Read16(uint32_t offset) override { return static_cast<uint16_t>(Narrow(offset)); }
  void Write8(uint32_t offset, uint8_t) override { Narrow(offset); }
  void Write16(uint32_t offset, uint16_t) override { Narrow(offset); }

  uint32_t Read32(uint32_t offset) override {
    if (!Valid(offset)) {
      return ~0u;
    }
    uint32_t v =
        (offset >= 0xfe0 && size_ >= 0x1000) ? id_[(offset - 0xfe0) / 4] : OnRead32(offset);
    log_.push_back({false, offset, v});
    return v;
  }
  void Write32(uint32_t offset, uint32_t value) override {
    if (!Valid(offset)) {
      return;
    }
    log_.push_back({true, offset, value});
    OnWrite32(offset, value);
  }

  uint64_t bad_accesses() const { return bad_; }
  const std::vector<Access>& log() const { return log_; }
  void ClearLog() { log_.clear(); }

  // Index in the log of the first write to `offset` at or after `from`, or -1.
  int FindWrite(uint32_t offset, size_t from = 0) const {
    for (size_t i = from; i < log_.size(); i++) {
      if (log_[i].write && log_[i].offset == offset) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

 protected:
  virtual uint32_t OnRead32(uint32_t offset) = 0;
  virtual void OnWrite32(uint32_t offset, uint32_t value) = 0;

 private:
  bool Valid(uint32_t offset) {
    if (offset % 4 != 0 || offset >= size_) {
      bad_++;
      return false;
    }
    return true;
  }
  uint32_t Narrow(uint32_t) {
    bad_++;
    return 0;
  }

  uint32_t size_;
  uint8_t id_[8] = {};
  uint64_t bad_ = 0;
  std::vector<Access> log_;
};

}  // namespace mica::drivers::testing
