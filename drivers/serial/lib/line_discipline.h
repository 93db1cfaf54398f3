// LineDiscipline: the console's canonical-mode input editing. Received
// bytes are edited into a line and echoed; a finished line (its text and a
// '\n') becomes readable by the console's clients (the serial service's
// Read).
//
// Contract:
// - Input(c, echo) takes one received byte and writes what must be echoed
//   to echo[0, return) (at most kMaxEcho bytes):
//     CR, or LF not right after a CR (so CR LF is one Enter): ends the line;
//       echo "\n" (the console writer sends it as CR LF).
//     BS (0x08) or DEL (0x7f): erases the last character if there is one;
//       echo "\b \b".
//     printable ASCII (0x20..0x7e): appended while the line has room
//       (kEditMax bytes), echoed; ignored once it is full.
//     anything else (other control bytes, bytes >= 0x80): ignored.
// - A finished line goes to the ready ring whole or not at all (counted in
//   lines_dropped() when the ring cannot hold it): a reader never sees part
//   of a line. Read takes bytes from the ready ring in order.
// - Raw mode (SetRaw(true), the serial protocol's SetMode RAW, for a client
//   with its own line editor such as the shell): every received byte is
//   readable as it is, nothing is echoed or edited; bytes that find the
//   ready ring full are dropped (counted in bytes_dropped()). NoteCut()
//   (raw mode only) makes one Ctrl-L (0x0c) readable, ahead of the bytes
//   not read yet: the driver calls it when another writer's line cut the
//   client's partial line (its prompt), so the client redraws it before it
//   echoes anything more.
// - Type-ahead: switching to raw mode keeps what was typed before, as it
//   was typed: the finished lines not read yet (each ending in '\n') and
//   then the line being edited (no newline) become raw bytes, so a client
//   that sets raw mode (the shell) reads the keys typed during boot. A CR
//   that ended the last canonical line swallows an LF right after the
//   switch (CR LF stays one Enter). Switching back to canonical mode
//   discards the raw bytes not read yet and a pending redraw (they were the
//   raw client's). Setting the mode it already has changes nothing.
// - No allocation, no system calls; single-threaded (the driver's loop).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/serial/lib/byte_ring.h"

namespace mica::drivers::serial {

class LineDiscipline {
 public:
  static constexpr size_t kEditMax = 255;
  static constexpr size_t kMaxEcho = 3;
  static constexpr size_t kReadyBytes = 4096;

  static constexpr uint8_t kRedraw = 0x0c;  // Ctrl-L

  size_t Input(uint8_t c, uint8_t* echo) {
    if (raw_) {
      bool skip = skip_lf_ && c == '\n';
      skip_lf_ = false;
      if (!skip && !ready_.PushByte(c)) {
        bytes_dropped_++;
      }
      return 0;
    }
    bool after_cr = last_cr_;
    last_cr_ = c == '\r';
    if (c == '\r' || (c == '\n' && !after_cr)) {
      EndLine();
      echo[0] = '\n';
      return 1;
    }
    if (c == 0x08 || c == 0x7f) {
      if (len_ == 0) {
        return 0;
      }
      len_--;
      echo[0] = '\b';
      echo[1] = ' ';
      echo[2] = '\b';
      return 3;
    }
    if (c >= 0x20 && c <= 0x7e && len_ < kEditMax) {
      edit_[len_++] = c;
      echo[0] = c;
      return 1;
    }
    return 0;
  }

  void SetRaw(bool raw) {
    if (raw == raw_) {
      return;
    }
    raw_ = raw;
    redraw_ = false;
    if (raw) {  // type-ahead: the finished lines stay, the edited line follows
      size_t kept = ready_.Push(edit_, len_);
      bytes_dropped_ += len_ - kept;
      skip_lf_ = last_cr_;
    } else {
      uint8_t sink[64];
      while (ready_.Pop(sink, sizeof(sink)) != 0) {
      }
      skip_lf_ = false;
    }
    len_ = 0;
    last_cr_ = false;
  }
  bool raw() const { return raw_; }
  void NoteCut() { redraw_ = raw_; }

  // Bytes of finished lines (raw mode: received bytes), oldest first; in
  // raw mode a pending redraw (NoteCut) comes first, before bytes received
  // earlier but not read yet (their echo will follow the redraw).
  size_t Read(uint8_t* out, size_t n) {
    size_t first = 0;
    if (redraw_ && n > 0) {
      out[0] = kRedraw;
      redraw_ = false;
      first = 1;
    }
    return first + ready_.Pop(out + first, n - first);
  }
  size_t readable() const { return ready_.size() + (redraw_ ? 1 : 0); }
  // The line being edited.
  size_t editing() const { return len_; }
  uint64_t lines() const { return lines_; }
  uint64_t lines_dropped() const { return lines_dropped_; }
  uint64_t bytes_dropped() const { return bytes_dropped_; }

 private:
  void EndLine() {
    if (ready_.free() >= len_ + 1) {
      ready_.Push(edit_, len_);
      ready_.PushByte('\n');
      lines_++;
    } else {
      lines_dropped_++;
    }
    len_ = 0;
  }

  uint8_t edit_[kEditMax] = {};
  size_t len_ = 0;
  bool last_cr_ = false;
  uint64_t lines_ = 0;
  uint64_t lines_dropped_ = 0;
  uint64_t bytes_dropped_ = 0;
  bool raw_ = false;
  bool redraw_ = false;   // NoteCut: a Ctrl-L to read first
  bool skip_lf_ = false;  // raw: an LF now ends the CR LF canonical mode began
  ByteRing<kReadyBytes> ready_;
};

}  // namespace mica::drivers::serial
