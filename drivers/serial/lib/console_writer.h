// ConsoleWriter: many writers (the kernel log, each client) share one UART
// without ever interleaving their lines.
//
// Contract:
// - Each writer (0 .. kWriters-1) has its own line buffer. Bytes collect
//   there until the line is complete: a '\n', or kLineMax bytes (an overlong
//   line is cut into kLineMax-byte pieces, each kept whole), or Flush (for a
//   prompt without a newline).
// - A complete line is committed to the shared queue in one piece or not at
//   all. The queue is drained to the device in order, so a line reaches the
//   wire contiguous: two writers' bytes never mix within a line.
// - Backpressure, never loss: Write returns how many bytes it took; it takes
//   fewer than offered only when a complete line is waiting for queue space.
//   Pump moves queued bytes to the device and retries waiting lines (in
//   writer order); the wrapper calls it after every OnInterrupt that reports
//   kTxSpace and after every Write.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/serial/lib/byte_ring.h"
#include "drivers/serial/lib/serial_device.h"

namespace mica::drivers::serial {

template <size_t kWriters, size_t kLineMax, size_t kQueue>
class ConsoleWriter {
  static_assert(kLineMax > 0 && kLineMax <= kQueue, "a whole line must fit in the queue");

 public:
  size_t Write(size_t writer, const uint8_t* data, size_t n) {
    if (writer >= kWriters) {
      return 0;
    }
    Line& line = lines_[writer];
    size_t i = 0;
    while (i < n) {
      if (line.complete() && !Commit(line)) {
        break;
      }
      line.bytes[line.len++] = data[i];
      line.ended = data[i] == '\n';
      i++;
    }
    if (line.complete()) {
      Commit(line);
    }
    return i;
  }

  // Commits writer's partial line as it is. False if it must wait for space.
  bool Flush(size_t writer) {
    if (writer >= kWriters) {
      return false;
    }
    return Commit(lines_[writer]);
  }

  // Moves queued bytes to the device (as many as it takes), then commits
  // waiting complete lines that now fit. Returns the bytes moved.
  size_t Pump(SerialDevice& device) {
    size_t moved = 0;
    for (;;) {
      CommitWaiting();
      uint8_t chunk[64];
      size_t room = device.TxFree();
      size_t want = room < sizeof(chunk) ? room : sizeof(chunk);
      size_t n = 0;
      while (n < want && !queue_.empty()) {
        chunk[n++] = queue_.PopByte();
      }
      if (n == 0) {
        break;
      }
      // TxFree promised room for n bytes; Write takes them all.
      moved += device.Write(chunk, n);
    }
    return moved;
  }

  size_t queued() const { return queue_.size(); }
  size_t pending(size_t writer) const { return writer < kWriters ? lines_[writer].len : 0; }

 private:
  struct Line {
    size_t len = 0;
    bool ended = false;
    uint8_t bytes[kLineMax];
    bool complete() const { return ended || len == kLineMax; }
  };

  void CommitWaiting() {
    for (Line& line : lines_) {
      if (line.complete()) {
        Commit(line);
      }
    }
  }

  bool Commit(Line& line) {
    if (line.len > queue_.free()) {
      return false;
    }
    queue_.Push(line.bytes, line.len);
    line.len = 0;
    line.ended = false;
    return true;
  }

  Line lines_[kWriters];
  ByteRing<kQueue> queue_;
};

}  // namespace mica::drivers::serial
