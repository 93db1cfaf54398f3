// See line_editor.h.
#include "system/core/shell/lib/line_editor.h"

#include <string.h>

namespace shell {

namespace {

constexpr uint8_t kCtrlA = 0x01, kCtrlB = 0x02, kCtrlC = 0x03, kCtrlE = 0x05, kCtrlF = 0x06;
constexpr uint8_t kBs = 0x08, kTab = 0x09, kLf = 0x0a, kCtrlK = 0x0b, kCtrlL = 0x0c, kCr = 0x0d;
constexpr uint8_t kCtrlN = 0x0e, kCtrlP = 0x10, kCtrlU = 0x15, kCtrlW = 0x17, kEsc = 0x1b;
constexpr uint8_t kDel = 0x7f;

bool Blank(char c) {
  return c == ' ';
}

}  // namespace

void Output::Put(const char* s) {
  Put(s, strlen(s));
}

void Output::Csi(size_t n, char final) {
  char digits[24];
  size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  Put('\x1b');
  Put('[');
  while (d > 0) {
    Put(digits[--d]);
  }
  Put(final);
}

LineEditor::LineEditor(const char* prompt, const char* const* names, size_t name_count)
    : names_(names), name_count_(name_count) {
  prompt_len_ = strlen(prompt);
  if (prompt_len_ > kMaxPrompt) {
    prompt_len_ = kMaxPrompt;
  }
  memcpy(prompt_, prompt, prompt_len_);
}

void LineEditor::Begin(Output& out) {
  Reset();
  out.Put(prompt_, prompt_len_);
}

void LineEditor::Reset() {
  len_ = 0;
  cursor_ = 0;
  text_[0] = '\0';
  history_pos_ = 0;
  state_ = State::kNormal;
}

const char* LineEditor::history(size_t i) const {
  if (i >= history_count_) {
    return nullptr;
  }
  return history_[(history_next_ + kHistory - 1 - i) % kHistory];
}

void LineEditor::Refresh(Output& out) const {
  out.Put('\r');
  out.Put(prompt_, prompt_len_);
  out.Put(text_, len_);
  out.Put("\x1b[K");
  if (cursor_ < len_) {
    out.Csi(len_ - cursor_, 'D');
  }
}

LineEditor::Event LineEditor::Feed(uint8_t c, Output& out) {
  bool after_cr = last_cr_;
  last_cr_ = false;
  switch (state_) {
    case State::kNormal:
      break;
    case State::kEsc:
      if (c == '[') {
        state_ = State::kCsi;
        params_len_ = 0;
        params_overflow_ = false;
        return Event::kNone;
      }
      if (c == 'O') {
        state_ = State::kSs3;
        return Event::kNone;
      }
      state_ = State::kNormal;
      if (c < 0x20 || c == kDel) {
        break;  // a key: handled below
      }
      return Event::kNone;  // ESC x (Alt-x): swallowed
    case State::kSs3:
      state_ = State::kNormal;
      if (c < 0x20 || c == kDel) {
        break;
      }
      switch (c) {
        case 'A':
          Press(Key::kUp, out);
          break;
        case 'B':
          Press(Key::kDown, out);
          break;
        case 'C':
          Press(Key::kRight, out);
          break;
        case 'D':
          Press(Key::kLeft, out);
          break;
        case 'H':
          Press(Key::kHome, out);
          break;
        case 'F':
          Press(Key::kEnd, out);
          break;
        default:
          break;
      }
      return Event::kNone;
    case State::kCsi:
      if (c >= 0x20 && c <= 0x3f) {  // parameters and intermediates
        if (params_len_ < sizeof(params_) - 1) {
          params_[params_len_++] = static_cast<char>(c);
        } else {
          params_overflow_ = true;
        }
        return Event::kNone;
      }
      if (c >= 0x40 && c <= 0x7e) {
        state_ = State::kNormal;
        params_[params_len_] = '\0';
        Press(params_overflow_ ? Key::kNone : CsiKey(c), out);
        return Event::kNone;
      }
      state_ = State::kNormal;  // a control byte (or >= 0x7f) aborts it
      break;
  }
  if (c == kEsc) {
    state_ = State::kEsc;
    return Event::kNone;
  }
  if (c == kLf && after_cr) {
    return Event::kNone;  // CR LF is one Enter
  }
  if (c >= 0x20 && c < 0x7f) {
    Insert(static_cast<char>(c), out);
    return Event::kNone;
  }
  if (c == kCr) {
    last_cr_ = true;
  }
  return Control(c, out);
}

LineEditor::Key LineEditor::CsiKey(uint8_t final) const {
  const char* p = params_;
  switch (final) {
    case 'A':
      return p[0] == '\0' ? Key::kUp : Key::kNone;
    case 'B':
      return p[0] == '\0' ? Key::kDown : Key::kNone;
    case 'C':
      return p[0] == '\0' ? Key::kRight : Key::kNone;
    case 'D':
      return p[0] == '\0' ? Key::kLeft : Key::kNone;
    case 'H':
      return p[0] == '\0' ? Key::kHome : Key::kNone;
    case 'F':
      return p[0] == '\0' ? Key::kEnd : Key::kNone;
    case '~':
      if (strcmp(p, "1") == 0 || strcmp(p, "7") == 0) {
        return Key::kHome;
      }
      if (strcmp(p, "4") == 0 || strcmp(p, "8") == 0) {
        return Key::kEnd;
      }
      if (strcmp(p, "3") == 0) {
        return Key::kDelete;
      }
      return Key::kNone;
    default:
      return Key::kNone;
  }
}

LineEditor::Event LineEditor::Control(uint8_t c, Output& out) {
  switch (c) {
    case kCr:
    case kLf:
      return Enter(out);
    case kCtrlC:
      out.Put("^C\n");
      Reset();
      return Event::kCancel;
    case kCtrlA:
      Press(Key::kHome, out);
      break;
    case kCtrlE:
      Press(Key::kEnd, out);
      break;
    case kCtrlB:
      Press(Key::kLeft, out);
      break;
    case kCtrlF:
      Press(Key::kRight, out);
      break;
    case kCtrlP:
      Press(Key::kUp, out);
      break;
    case kCtrlN:
      Press(Key::kDown, out);
      break;
    case kBs:
    case kDel:
      Backspace(out);
      break;
    case kCtrlU:
      if (cursor_ > 0) {
        Erase(0, cursor_);
        Refresh(out);
      }
      break;
    case kCtrlK:
      if (cursor_ < len_) {
        Erase(cursor_, len_);
        out.Put("\x1b[K");
      }
      break;
    case kCtrlW: {
      size_t from = cursor_;
      while (from > 0 && Blank(text_[from - 1])) {
        from--;
      }
      while (from > 0 && !Blank(text_[from - 1])) {
        from--;
      }
      if (from < cursor_) {
        Erase(from, cursor_);
        Refresh(out);
      }
      break;
    }
    case kCtrlL:
      Refresh(out);
      break;
    case kTab:
      Complete(out);
      break;
    default:
      break;  // ignored
  }
  return Event::kNone;
}

LineEditor::Event LineEditor::Enter(Output& out) {
  out.Put('\n');
  memcpy(entered_, text_, len_);
  entered_[len_] = '\0';
  if (len_ > 0 && (history_count_ == 0 || strcmp(history(0), entered_) != 0)) {
    memcpy(history_[history_next_], entered_, len_ + 1);
    history_next_ = (history_next_ + 1) % kHistory;
    if (history_count_ < kHistory) {
      history_count_++;
    }
  }
  Reset();
  return Event::kLine;
}

void LineEditor::Insert(char c, Output& out) {
  if (len_ == kMaxLine) {
    out.Put('\a');
    return;
  }
  memmove(text_ + cursor_ + 1, text_ + cursor_, len_ - cursor_);
  text_[cursor_++] = c;
  text_[++len_] = '\0';
  if (cursor_ == len_) {
    out.Put(c);
  } else {
    Refresh(out);
  }
}

void LineEditor::Erase(size_t from, size_t to) {
  memmove(text_ + from, text_ + to, len_ - to);
  len_ -= to - from;
  text_[len_] = '\0';
  if (cursor_ >= to) {
    cursor_ -= to - from;
  } else if (cursor_ > from) {
    cursor_ = from;
  }
}

void LineEditor::Backspace(Output& out) {
  if (cursor_ == 0) {
    return;
  }
  bool at_end = cursor_ == len_;
  Erase(cursor_ - 1, cursor_);
  if (at_end) {
    out.Put("\b \b");
  } else {
    Refresh(out);
  }
}

void LineEditor::Delete(Output& out) {
  if (cursor_ == len_) {
    return;
  }
  Erase(cursor_, cursor_ + 1);
  Refresh(out);
}

void LineEditor::Left(size_t n, Output& out) {
  if (n > cursor_) {
    n = cursor_;
  }
  if (n > 0) {
    cursor_ -= n;
    out.Csi(n, 'D');
  }
}

void LineEditor::Right(size_t n, Output& out) {
  if (n > len_ - cursor_) {
    n = len_ - cursor_;
  }
  if (n > 0) {
    cursor_ += n;
    out.Csi(n, 'C');
  }
}

void LineEditor::Press(Key k, Output& out) {
  switch (k) {
    case Key::kLeft:
      Left(1, out);
      break;
    case Key::kRight:
      Right(1, out);
      break;
    case Key::kHome:
      Left(cursor_, out);
      break;
    case Key::kEnd:
      Right(len_ - cursor_, out);
      break;
    case Key::kDelete:
      Delete(out);
      break;
    case Key::kUp:
      HistoryMove(true, out);
      break;
    case Key::kDown:
      HistoryMove(false, out);
      break;
    case Key::kNone:
      break;
  }
}

void LineEditor::SetText(const char* s, size_t n) {
  memcpy(text_, s, n);
  len_ = n;
  cursor_ = n;
  text_[n] = '\0';
}

void LineEditor::HistoryMove(bool older, Output& out) {
  if (older) {
    if (history_pos_ >= history_count_) {
      return;  // at the oldest
    }
    if (history_pos_ == 0) {
      memcpy(scratch_, text_, len_);
      scratch_len_ = len_;
    }
    history_pos_++;
    const char* h = history(history_pos_ - 1);
    SetText(h, strlen(h));
  } else {
    if (history_pos_ == 0) {
      return;  // already on the fresh line
    }
    history_pos_--;
    if (history_pos_ == 0) {
      SetText(scratch_, scratch_len_);
    } else {
      const char* h = history(history_pos_ - 1);
      SetText(h, strlen(h));
    }
  }
  Refresh(out);
}

void LineEditor::Complete(Output& out) {
  // Only the first word, with the cursor at its end.
  for (size_t i = 0; i < cursor_; i++) {
    if (Blank(text_[i])) {
      out.Put('\a');
      return;
    }
  }
  if (cursor_ < len_ && !Blank(text_[cursor_])) {
    out.Put('\a');
    return;
  }
  size_t matches = 0;
  const char* first = nullptr;
  size_t common = 0;  // the longest common prefix of the matches
  for (size_t i = 0; i < name_count_; i++) {
    const char* n = names_[i];
    if (strncmp(n, text_, cursor_) != 0) {
      continue;
    }
    if (matches++ == 0) {
      first = n;
      common = strlen(n);
    } else {
      size_t k = cursor_;
      while (k < common && n[k] == first[k]) {
        k++;
      }
      common = k;
    }
  }
  if (matches == 0) {
    out.Put('\a');
    return;
  }
  size_t add = common - cursor_;
  bool blank = matches == 1 && !(cursor_ < len_ && Blank(text_[cursor_]));
  if (len_ + add + (blank ? 1 : 0) > kMaxLine) {
    out.Put('\a');
    return;
  }
  if (add > 0 || matches == 1) {
    bool at_end = cursor_ == len_;
    memmove(text_ + cursor_ + add, text_ + cursor_, len_ - cursor_);
    memcpy(text_ + cursor_, first + cursor_, add);
    len_ += add;
    cursor_ += add;
    if (blank) {
      memmove(text_ + cursor_ + 1, text_ + cursor_, len_ - cursor_);
      text_[cursor_++] = ' ';
      len_++;
    }
    text_[len_] = '\0';
    if (at_end) {
      out.Put(first + cursor_ - add - (blank ? 1 : 0), add);
      if (blank) {
        out.Put(' ');
      }
    } else {
      Refresh(out);
    }
    return;
  }
  // Several, and nothing to add: list them, then the line again.
  out.Put('\n');
  bool any = false;
  for (size_t i = 0; i < name_count_; i++) {
    if (strncmp(names_[i], text_, cursor_) == 0) {
      if (any) {
        out.Put("  ");
      }
      out.Put(names_[i]);
      any = true;
    }
  }
  out.Put('\n');
  Refresh(out);
}

}  // namespace shell
