// LineEditor: the shell's line editing, a pure state machine: bytes typed
// on a raw terminal in, the bytes to write back to redraw it out.
//
// Contract:
// - Feed(byte, out) takes one received byte and appends to `out` exactly
//   the bytes that bring the terminal up to date (its echo, cursor moves,
//   redraws). It returns kLine when the line was entered (line()), kCancel
//   when Ctrl-C cancelled it, else kNone. After kLine or kCancel the editor
//   is empty; the caller writes the next prompt with Begin.
// - Output: "\n" ends a terminal line (the console sends it as CR LF);
//   "\r" returns to column 0; ESC [ n C / ESC [ n D move the cursor right /
//   left n columns; ESC [ K erases to the end of the line; BEL (0x07) when a
//   key can do nothing (line full, no completion). A *refresh* is
//   "\r" prompt text ESC [ K, then ESC [ n D back to the cursor when it is
//   not at the end.
// - Keys: printable ASCII inserts at the cursor (echoed alone at the end,
//   else a refresh); left/right (ESC [ D / ESC [ C, ESC O D / ESC O C,
//   Ctrl-B / Ctrl-F); home (ESC [ H, ESC [ 1 ~, ESC [ 7 ~, ESC O H, Ctrl-A);
//   end (ESC [ F, ESC [ 4 ~, ESC [ 8 ~, ESC O F, Ctrl-E); backspace (0x7f,
//   0x08) erases before the cursor ("\b \b" at the end, else a refresh);
//   delete (ESC [ 3 ~) erases under it; Ctrl-U erases from the start to the
//   cursor; Ctrl-W the word (and the blanks after it) before the cursor;
//   Ctrl-K from the cursor to the end; up/down (ESC [ A / ESC [ B, ESC O A
//   / ESC O B, Ctrl-P / Ctrl-N) walk the history (the line being edited is
//   kept and comes back below the newest entry); Tab completes the command
//   name (the first word, the cursor at its end): one match completes it
//   and adds a blank, several extend it to their longest common prefix, or
//   when that adds nothing list them on their own line ("\n" names "\n")
//   and redraw the prompt and line; Ctrl-L refreshes the line (the console
//   driver sends it when another writer's line cut the prompt); Ctrl-C
//   writes "^C\n" and cancels; CR, LF, or CR LF (the LF after a CR is
//   ignored) enters the line ("\n").
// - Escape sequences: ESC [ (parameters 0x30-0x3f, intermediates
//   0x20-0x2f) final 0x40-0x7e, and ESC O x; unknown ones are swallowed
//   whole. ESC followed by anything else swallows both. A control byte
//   inside a sequence aborts it and is then handled as a key. Sequences may
//   arrive split across any number of Feed calls (the state is kept).
// - Bytes >= 0x80 and other control bytes are ignored.
// - Limits: a line holds at most kMaxLine bytes (more is refused with a
//   BEL); the history keeps the last kHistory distinct non-empty lines (a
//   line equal to the newest entry is not added again).
// - No allocation, no system calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace shell {

// The bytes one Feed produces.
class Output {
 public:
  static constexpr size_t kMax = 4096;
  void Clear() { len_ = 0; }
  void Put(char c) {
    if (len_ < kMax) {
      buf_[len_++] = c;
    }
  }
  void Put(const char* s, size_t n) {
    for (size_t i = 0; i < n; i++) {
      Put(s[i]);
    }
  }
  void Put(const char* s);
  // ESC [ n <final>, e.g. ESC [ 3 D.
  void Csi(size_t n, char final);
  const char* data() const { return buf_; }
  size_t size() const { return len_; }

 private:
  char buf_[kMax];
  size_t len_ = 0;
};

class LineEditor {
 public:
  static constexpr size_t kMaxLine = 240;
  static constexpr size_t kHistory = 32;
  static constexpr size_t kMaxPrompt = 32;
  enum class Event { kNone, kLine, kCancel };

  // `names`: the command names Tab completes (kept by pointer).
  explicit LineEditor(const char* prompt, const char* const* names = nullptr,
                      size_t name_count = 0);

  // Writes the prompt (a new, empty line).
  void Begin(Output& out);
  Event Feed(uint8_t c, Output& out);
  // Refresh: redraws prompt and line in place (or on the fresh line the
  // cursor is on).
  void Refresh(Output& out) const;

  // The entered line (valid after kLine until the next Feed), NUL-terminated.
  const char* line() const { return entered_; }
  // The line being edited and the cursor in it.
  const char* text() const { return text_; }
  size_t length() const { return len_; }
  size_t cursor() const { return cursor_; }
  size_t history_size() const { return history_count_; }
  // Entry i of the history, 0 the newest.
  const char* history(size_t i) const;

 private:
  enum class State { kNormal, kEsc, kCsi, kSs3 };
  enum class Key { kUp, kDown, kLeft, kRight, kHome, kEnd, kDelete, kNone };

  Event Control(uint8_t c, Output& out);
  void Insert(char c, Output& out);
  void Press(Key k, Output& out);
  void Backspace(Output& out);
  void Delete(Output& out);
  void Erase(size_t from, size_t to);  // [from, to)
  void Left(size_t n, Output& out);
  void Right(size_t n, Output& out);
  void Complete(Output& out);
  void HistoryMove(bool older, Output& out);
  void SetText(const char* s, size_t n);
  Event Enter(Output& out);
  void Reset();
  Key CsiKey(uint8_t final) const;

  char prompt_[kMaxPrompt + 1] = {};
  size_t prompt_len_ = 0;
  const char* const* names_;
  size_t name_count_;

  char text_[kMaxLine + 1] = {};
  size_t len_ = 0;
  size_t cursor_ = 0;
  char entered_[kMaxLine + 1] = {};

  State state_ = State::kNormal;
  char params_[16] = {};
  size_t params_len_ = 0;
  bool params_overflow_ = false;
  bool last_cr_ = false;

  char history_[kHistory][kMaxLine + 1] = {};
  size_t history_count_ = 0;
  size_t history_next_ = 0;  // the ring slot the next entry goes to
  // 0: editing a fresh line; i > 0: showing history(i - 1).
  size_t history_pos_ = 0;
  char scratch_[kMaxLine + 1] = {};  // the fresh line, while walking the history
  size_t scratch_len_ = 0;
};

}  // namespace shell
