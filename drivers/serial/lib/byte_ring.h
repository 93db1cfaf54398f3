// ByteRing<N>: a fixed-capacity FIFO of bytes, the buffer between a UART's
// interrupt handler and its clients (receive and transmit sides).
//
// Contract:
// - N is a power of two; the ring holds up to N bytes. No allocation.
// - Push copies as many bytes as fit and returns that count (never
//   overwrites); Pop copies out up to the requested count in FIFO order.
// - Single-threaded: the driver process serializes the interrupt handler
//   and client requests on its loop, so no locking here.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mica::drivers::serial {

template <size_t N>
class ByteRing {
  static_assert(N > 0 && (N & (N - 1)) == 0, "capacity must be a power of two");

 public:
  static constexpr size_t capacity() { return N; }
  size_t size() const { return tail_ - head_; }
  size_t free() const { return N - size(); }
  bool empty() const { return head_ == tail_; }
  bool full() const { return size() == N; }

  bool PushByte(uint8_t b) {
    if (full()) {
      return false;
    }
    buf_[tail_++ & (N - 1)] = b;
    return true;
  }
  size_t Push(const uint8_t* data, size_t n) {
    size_t i = 0;
    while (i < n && PushByte(data[i])) {
      i++;
    }
    return i;
  }
  // The oldest byte; only when !empty().
  uint8_t Front() const { return buf_[head_ & (N - 1)]; }
  uint8_t PopByte() { return buf_[head_++ & (N - 1)]; }
  size_t Pop(uint8_t* out, size_t n) {
    size_t i = 0;
    while (i < n && !empty()) {
      out[i++] = PopByte();
    }
    return i;
  }
  void Clear() { head_ = tail_ = 0; }

 private:
  // Free-running counters: size() stays right across wrap-around of size_t
  // because both advance by at most N apart.
  size_t head_ = 0;
  size_t tail_ = 0;
  uint8_t buf_[N] = {};
};

}  // namespace mica::drivers::serial
