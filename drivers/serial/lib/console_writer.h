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
// - A flushed partial line (a prompt, or typed characters echoed) leaves
//   the wire mid-line. When another writer then commits, a '\n' is queued
//   first, so that writer's line starts at a line's start and no line on
//   the wire holds two writers' bytes; the same writer continues its line.
// - Replay (set_replay(w, true), the console's clients in raw mode): the
//   bytes writer w put on the wire since its last '\n' are kept (up to
//   kLineMax). When another writer's whole line cuts w's partial line, they
//   are queued again right after that line, so w's partial line (a prompt
//   and what was typed, with its cursor moves) shows again below it as it
//   was, and w continues it. A committed line needs room for the replay too
//   (no replay if both could never fit in the queue).
// - cuts(w) counts the times writer w's partial line was cut and not
//   replayed (no replay asked, more than kLineMax bytes since its last
//   newline, or cut by another writer's partial line); a client in raw
//   mode redraws its prompt then (LineDiscipline::NoteCut).
// - set_crlf(true): Pump sends every '\n' as CR LF (a terminal's newline,
//   as the kernel's early console does).
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
      if (line.complete() && !Commit(writer)) {
        break;
      }
      line.bytes[line.len++] = data[i];
      line.ended = data[i] == '\n';
      i++;
    }
    if (line.complete()) {
      Commit(writer);
    }
    return i;
  }

  // Commits writer's partial line as it is. False if it must wait for space.
  bool Flush(size_t writer) {
    if (writer >= kWriters) {
      return false;
    }
    return Commit(writer);
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
        if (crlf_ && queue_.Front() == '\n') {
          if (n + 2 > want) {
            break;
          }
          chunk[n++] = '\r';
        }
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

  void set_crlf(bool on) { crlf_ = on; }
  void set_replay(size_t writer, bool on) {
    if (writer < kWriters) {
      shown_[writer].replay = on;
    }
  }
  size_t queued() const { return queue_.size(); }
  size_t queue_free() const { return queue_.free(); }
  size_t pending(size_t writer) const { return writer < kWriters ? lines_[writer].len : 0; }
  uint64_t cuts(size_t writer) const { return writer < kWriters ? cuts_[writer] : 0; }

 private:
  struct Line {
    size_t len = 0;
    bool ended = false;
    uint8_t bytes[kLineMax];
    bool complete() const { return ended || len == kLineMax; }
  };

  static constexpr size_t kNoWriter = kWriters;

  void CommitWaiting() {
    for (size_t w = 0; w < kWriters; w++) {
      if (lines_[w].complete()) {
        Commit(w);
      }
    }
  }

  bool Commit(size_t writer) {
    Line& line = lines_[writer];
    if (line.len == 0) {
      return true;
    }
    size_t cut = open_ != kNoWriter && open_ != writer ? open_ : kNoWriter;
    bool ends = line.bytes[line.len - 1] == '\n';
    bool replay = cut != kNoWriter && ends && shown_[cut].replay && !shown_[cut].overflow &&
                  shown_[cut].len > 0;
    size_t need = line.len + (cut != kNoWriter ? 1 : 0);
    replay = replay && need + shown_[cut].len <= kQueue;  // else it could never fit
    need += replay ? shown_[cut].len : 0;
    if (need > queue_.free()) {
      return false;
    }
    if (cut != kNoWriter) {
      queue_.PushByte('\n');
      if (!replay) {
        cuts_[cut]++;
        shown_[cut].len = 0;  // its line ended on the wire
        shown_[cut].overflow = false;
      }
    }
    queue_.Push(line.bytes, line.len);
    Show(writer, line.bytes, line.len);
    if (replay) {
      queue_.Push(shown_[cut].bytes, shown_[cut].len);
      open_ = cut;
    } else {
      open_ = ends ? kNoWriter : writer;
    }
    line.len = 0;
    line.ended = false;
    return true;
  }

  // What `writer` has on the wire since its last newline.
  void Show(size_t writer, const uint8_t* data, size_t n) {
    Shown& s = shown_[writer];
    for (size_t i = 0; i < n; i++) {
      if (data[i] == '\n') {
        s.len = 0;
        s.overflow = false;
      } else if (s.len < kLineMax) {
        s.bytes[s.len++] = data[i];
      } else {
        s.overflow = true;
      }
    }
  }

  struct Shown {
    uint8_t bytes[kLineMax];
    size_t len = 0;
    bool overflow = false;
    bool replay = false;
  };

  Line lines_[kWriters];
  ByteRing<kQueue> queue_;
  size_t open_ = kNoWriter;  // the writer whose partial line ends the queue
  uint64_t cuts_[kWriters] = {};
  Shown shown_[kWriters];
  bool crlf_ = false;
};

}  // namespace mica::drivers::serial
