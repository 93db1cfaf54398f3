// The line editor: the exact bytes each key writes, and random typing
// replayed on a terminal model (what the terminal shows is the prompt and
// the editor's text, the cursor where the editor's is).
#include "system/core/shell/lib/line_editor.h"

#include <gtest/gtest.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

namespace shell {
namespace {

const char* const kNames[] = {"help", "ps",    "kill",  "jobs", "drivers",
                              "date", "sleep", "start", "stop"};
constexpr size_t kNameCount = sizeof(kNames) / sizeof(kNames[0]);

// One editor with the shell's prompt and the command names above.
struct Ed {
  LineEditor ed{"mica> ", kNames, kNameCount};
  LineEditor::Event last = LineEditor::Event::kNone;
  // Feeds `s`; returns everything written.
  std::string Type(const std::string& s) {
    std::string all;
    last = LineEditor::Event::kNone;
    for (char c : s) {
      Output out;
      LineEditor::Event ev = ed.Feed(static_cast<uint8_t>(c), out);
      if (ev != LineEditor::Event::kNone) {
        last = ev;
      }
      all.append(out.data(), out.size());
    }
    return all;
  }
  std::string Begin() {
    Output out;
    ed.Begin(out);
    return std::string(out.data(), out.size());
  }
  std::string text() const { return std::string(ed.text(), ed.length()); }
};

std::string Refresh(const std::string& text, size_t back) {
  std::string s = "\rmica> " + text + "\x1b[K";
  if (back > 0) {
    s += "\x1b[" + std::to_string(back) + "D";
  }
  return s;
}

TEST(LineEditor, PromptAndPrintable) {
  Ed e;
  EXPECT_EQ(e.Begin(), "mica> ");
  // Every printable byte is echoed as itself at the end of the line.
  for (int c = 0x20; c < 0x7f; c++) {
    EXPECT_EQ(e.Type(std::string(1, static_cast<char>(c))), std::string(1, static_cast<char>(c)));
  }
  EXPECT_EQ(e.ed.length(), 0x7fu - 0x20u);
  EXPECT_EQ(e.ed.cursor(), e.ed.length());
  EXPECT_EQ(e.Type("\r"), "\n");
  EXPECT_EQ(e.last, LineEditor::Event::kLine);
  EXPECT_EQ(strlen(e.ed.line()), 0x7fu - 0x20u);
  EXPECT_EQ(e.ed.line()[0], ' ');
  EXPECT_EQ(e.ed.length(), 0u);
}

TEST(LineEditor, EnterForms) {
  for (const char* enter : {"\r", "\n", "\r\n"}) {
    Ed e;
    EXPECT_EQ(e.Type(std::string("ps") + enter), std::string("ps\n")) << enter[0];
    EXPECT_STREQ(e.ed.line(), "ps");
    // CR LF is one Enter: the LF after the CR enters nothing more.
    EXPECT_EQ(e.Type("x"), "x");
    EXPECT_EQ(e.text(), "x");
  }
  Ed e;
  // CR CR is two (empty) lines; LF LF too; LF CR too.
  e.Type("\r");
  EXPECT_EQ(e.Type("\r"), "\n");
  EXPECT_EQ(e.last, LineEditor::Event::kLine);
  EXPECT_EQ(e.Type("\n"), "");  // right after a CR
  EXPECT_EQ(e.Type("\n"), "\n");
  EXPECT_EQ(e.Type("\r"), "\n");
  // A CR, then a key, then LF: the LF enters.
  e.Type("\ra");
  EXPECT_EQ(e.Type("\n"), "\n");
  EXPECT_STREQ(e.ed.line(), "a");
}

TEST(LineEditor, LeftRightAllForms) {
  for (const char* left : {"\x1b[D", "\x1bOD", "\x02"}) {
    for (const char* right : {"\x1b[C", "\x1bOC", "\x06"}) {
      Ed e;
      e.Type("abc");
      EXPECT_EQ(e.Type(left), "\x1b[1D");
      EXPECT_EQ(e.ed.cursor(), 2u);
      EXPECT_EQ(e.Type(left), "\x1b[1D");
      EXPECT_EQ(e.Type(left), "\x1b[1D");
      EXPECT_EQ(e.Type(left), "");  // at the start: nothing
      EXPECT_EQ(e.ed.cursor(), 0u);
      EXPECT_EQ(e.Type(right), "\x1b[1C");
      EXPECT_EQ(e.ed.cursor(), 1u);
      e.Type(right);
      e.Type(right);
      EXPECT_EQ(e.Type(right), "");  // at the end: nothing
      EXPECT_EQ(e.ed.cursor(), 3u);
    }
  }
}

TEST(LineEditor, InsertInTheMiddleRefreshes) {
  Ed e;
  e.Type("acd");
  e.Type("\x1b[D\x1b[D");
  EXPECT_EQ(e.Type("b"), Refresh("abcd", 2));
  EXPECT_EQ(e.text(), "abcd");
  EXPECT_EQ(e.ed.cursor(), 2u);
}

TEST(LineEditor, BackspaceBothBytes) {
  for (char bs : {'\x7f', '\x08'}) {
    Ed e;
    e.Type("abcd");
    EXPECT_EQ(e.Type(std::string(1, bs)), "\b \b");
    EXPECT_EQ(e.text(), "abc");
    e.Type("\x1b[D");
    EXPECT_EQ(e.Type(std::string(1, bs)), Refresh("ac", 1));
    EXPECT_EQ(e.text(), "ac");
    EXPECT_EQ(e.ed.cursor(), 1u);
    e.Type("\x01");
    EXPECT_EQ(e.Type(std::string(1, bs)), "");  // at the start: nothing
    EXPECT_EQ(e.text(), "ac");
  }
}

TEST(LineEditor, DeleteUnderTheCursor) {
  Ed e;
  e.Type("abc");
  EXPECT_EQ(e.Type("\x1b[3~"), "");  // at the end: nothing
  e.Type("\x01");
  EXPECT_EQ(e.Type("\x1b[3~"), Refresh("bc", 2));
  EXPECT_EQ(e.text(), "bc");
  EXPECT_EQ(e.ed.cursor(), 0u);
}

TEST(LineEditor, HomeEndAllForms) {
  for (const char* home : {"\x1b[H", "\x1b[1~", "\x1b[7~", "\x1bOH", "\x01"}) {
    for (const char* end : {"\x1b[F", "\x1b[4~", "\x1b[8~", "\x1bOF", "\x05"}) {
      Ed e;
      e.Type("hello");
      EXPECT_EQ(e.Type(home), "\x1b[5D") << home + 1;
      EXPECT_EQ(e.ed.cursor(), 0u);
      EXPECT_EQ(e.Type(home), "");
      EXPECT_EQ(e.Type(end), "\x1b[5C") << end + 1;
      EXPECT_EQ(e.ed.cursor(), 5u);
      EXPECT_EQ(e.Type(end), "");
    }
  }
}

TEST(LineEditor, CtrlUErasesToTheStart) {
  Ed e;
  e.Type("one two");
  e.Type("\x1b[D\x1b[D\x1b[D");
  EXPECT_EQ(e.Type("\x15"), Refresh("two", 3));
  EXPECT_EQ(e.text(), "two");
  EXPECT_EQ(e.ed.cursor(), 0u);
  EXPECT_EQ(e.Type("\x15"), "");  // nothing before the cursor
  e.Type("\x05");
  EXPECT_EQ(e.Type("\x15"), Refresh("", 0));
  EXPECT_EQ(e.text(), "");
}

TEST(LineEditor, CtrlWErasesTheWordBefore) {
  Ed e;
  e.Type("kill  12 34  ");
  EXPECT_EQ(e.Type("\x17"), Refresh("kill  12 ", 0));
  EXPECT_EQ(e.Type("\x17"), Refresh("kill  ", 0));
  EXPECT_EQ(e.Type("\x17"), Refresh("", 0));
  EXPECT_EQ(e.Type("\x17"), "");
  e.Type("ab cd");
  e.Type("\x1b[D");
  EXPECT_EQ(e.Type("\x17"), Refresh("ab d", 1));
  EXPECT_EQ(e.ed.cursor(), 3u);
}

TEST(LineEditor, CtrlKErasesToTheEnd) {
  Ed e;
  e.Type("abcdef\x1b[D\x1b[D");
  EXPECT_EQ(e.Type("\x0b"), "\x1b[K");
  EXPECT_EQ(e.text(), "abcd");
  EXPECT_EQ(e.Type("\x0b"), "");
}

TEST(LineEditor, CtrlCCancels) {
  Ed e;
  e.Type("some text");
  EXPECT_EQ(e.Type("\x03"), "^C\n");
  EXPECT_EQ(e.last, LineEditor::Event::kCancel);
  EXPECT_EQ(e.ed.length(), 0u);
  EXPECT_EQ(e.ed.history_size(), 0u);  // a cancelled line is not history
  EXPECT_EQ(e.Begin(), "mica> ");
}

TEST(LineEditor, CtrlLRefreshes) {
  Ed e;
  e.Type("abc\x1b[D");
  EXPECT_EQ(e.Type("\x0c"), Refresh("abc", 1));
  EXPECT_EQ(e.text(), "abc");
}

TEST(LineEditor, HistoryUpDownKeepsTheFreshLine) {
  Ed e;
  e.Type("first\r");
  e.Type("second\r");
  e.Type("second\r");  // equal to the newest: not added
  e.Type("\r");        // empty: not added
  ASSERT_EQ(e.ed.history_size(), 2u);
  e.Type("draft");
  for (const char* up : {"\x1b[A", "\x1bOA", "\x10"}) {
    for (const char* down : {"\x1b[B", "\x1bOB", "\x0e"}) {
      EXPECT_EQ(e.Type(up), Refresh("second", 0));
      EXPECT_EQ(e.Type(up), Refresh("first", 0));
      EXPECT_EQ(e.Type(up), "");  // the oldest
      EXPECT_EQ(e.Type(down), Refresh("second", 0));
      EXPECT_EQ(e.Type(down), Refresh("draft", 0));
      EXPECT_EQ(e.Type(down), "");  // the fresh line
      EXPECT_EQ(e.text(), "draft");
    }
  }
  // An entry taken from the history and edited is entered as edited.
  e.Type("\x15\x1b[A\x1b[A\b\b\b\b\bthird\r");
  EXPECT_STREQ(e.ed.line(), "third");
  EXPECT_STREQ(e.ed.history(0), "third");
}

TEST(LineEditor, HistoryIsBounded) {
  Ed e;
  for (size_t i = 0; i < LineEditor::kHistory + 10; i++) {
    e.Type("cmd" + std::to_string(i) + "\r");
  }
  EXPECT_EQ(e.ed.history_size(), LineEditor::kHistory);
  EXPECT_EQ(std::string(e.ed.history(0)), "cmd" + std::to_string(LineEditor::kHistory + 9));
  EXPECT_EQ(std::string(e.ed.history(LineEditor::kHistory - 1)), "cmd10");
  EXPECT_EQ(e.ed.history(LineEditor::kHistory), nullptr);
  // Walking up reaches exactly the oldest kept entry.
  for (size_t i = 0; i < LineEditor::kHistory; i++) {
    EXPECT_NE(e.Type("\x1b[A"), "");
  }
  EXPECT_EQ(e.text(), "cmd10");
  EXPECT_EQ(e.Type("\x1b[A"), "");
}

TEST(LineEditor, TabCompletesAUniquePrefix) {
  Ed e;
  e.Type("dri");
  EXPECT_EQ(e.Type("\t"), "vers ");
  EXPECT_EQ(e.text(), "drivers ");
  // Complete already: the blank only.
  Ed f;
  f.Type("ps");
  EXPECT_EQ(f.Type("\t"), " ");
  EXPECT_EQ(f.text(), "ps ");
}

TEST(LineEditor, TabExtendsTheCommonPrefixThenLists) {
  Ed e;
  e.Type("s");  // sleep, start, stop: nothing in common: listed
  EXPECT_EQ(e.Type("\t"), "\nsleep  start  stop\n" + Refresh("s", 0));
  EXPECT_EQ(e.last, LineEditor::Event::kNone);
  Ed f;
  f.Type("d");
  EXPECT_EQ(f.Type("\t"), "\ndrivers  date\n" + Refresh("d", 0));
  Ed g;
  g.Type("st");
  EXPECT_EQ(g.Type("\t"), "\nstart  stop\n" + Refresh("st", 0));
  EXPECT_EQ(g.text(), "st");
  Ed h;
  h.Type("sl");
  EXPECT_EQ(h.Type("\t"), "eep ");
}

TEST(LineEditor, TabCommonPrefixExtends) {
  const char* const names[] = {"component", "components"};
  LineEditor ed("> ", names, 2);
  Output out;
  for (char c : std::string("co\t")) {
    out.Clear();
    ed.Feed(static_cast<uint8_t>(c), out);
  }
  EXPECT_EQ(std::string(out.data(), out.size()), "mponent");
  out.Clear();
  ed.Feed('\t', out);
  EXPECT_EQ(std::string(out.data(), out.size()), "\ncomponent  components\n\r> component\x1b[K");
}

TEST(LineEditor, TabWithoutMatchOrAfterTheFirstWordRings) {
  Ed e;
  e.Type("xyz");
  EXPECT_EQ(e.Type("\t"), "\a");
  EXPECT_EQ(e.text(), "xyz");
  Ed f;
  f.Type("kill 1");
  EXPECT_EQ(f.Type("\t"), "\a");
  EXPECT_EQ(f.text(), "kill 1");
  // In the middle of a word: nothing to complete there.
  Ed g;
  g.Type("drivers\x1b[D\x1b[D");
  EXPECT_EQ(g.Type("\t"), "\a");
  // At the end of the first word, with arguments after it.
  Ed h;
  h.Type("dri 1\x01\x1b[C\x1b[C\x1b[C");
  EXPECT_EQ(h.Type("\t"), Refresh("drivers 1", 2));
  EXPECT_EQ(h.text(), "drivers 1");
  // An empty line lists every name.
  Ed k;
  std::string all = "\n";
  for (size_t i = 0; i < kNameCount; i++) {
    all += (i ? "  " : "") + std::string(kNames[i]);
  }
  EXPECT_EQ(k.Type("\t"), all + "\n" + Refresh("", 0));
}

TEST(LineEditor, LineOverTheMaximumRings) {
  Ed e;
  std::string full(LineEditor::kMaxLine, 'x');
  EXPECT_EQ(e.Type(full), full);
  EXPECT_EQ(e.Type("y"), "\a");
  EXPECT_EQ(e.Type("\x01z"), "\x1b[" + std::to_string(LineEditor::kMaxLine) + "D\a");
  EXPECT_EQ(e.ed.length(), LineEditor::kMaxLine);
  e.Type("\r");
  EXPECT_EQ(strlen(e.ed.line()), LineEditor::kMaxLine);
  // A completion that would overflow rings too.
  Ed f;
  f.Type("dri" + std::string(LineEditor::kMaxLine - 5, ' ') + "\x01\x1b[C\x1b[C\x1b[C");
  EXPECT_EQ(f.Type("\t"), "\a");
}

TEST(LineEditor, UnknownSequencesAreSwallowed) {
  // Each leaves the line as it was and writes nothing.
  const char* unknown[] = {"\x1b[Z",
                           "\x1b[2~",
                           "\x1b[5~",
                           "\x1b[15~",
                           "\x1b[1;5C",
                           "\x1b[?25h",
                           "\x1b[200~",
                           "\x1bOP",
                           "\x1bOx",
                           "\x1bx",
                           "\x1b[99999999999999999999999D",
                           "\x1b[ q",
                           "\x1b[3;2~",
                           "\x1b[A1~"};
  for (const char* u : unknown) {
    Ed e;
    e.Type("ab");
    std::string w = e.Type(u);
    if (strcmp(u, "\x1b[A1~") == 0) {
      // ESC [ A is a whole sequence (up: no history); "1~" are typed.
      EXPECT_EQ(w, "1~");
      continue;
    }
    EXPECT_EQ(w, "") << u + 1;
    EXPECT_EQ(e.text(), "ab") << u + 1;
    EXPECT_EQ(e.Type("c"), "c");
  }
}

TEST(LineEditor, AControlByteAbortsASequence) {
  Ed e;
  e.Type("ab");
  EXPECT_EQ(e.Type("\x1b[1\x03"), "^C\n");
  EXPECT_EQ(e.last, LineEditor::Event::kCancel);
  Ed f;
  f.Type("ab");
  EXPECT_EQ(f.Type("\x1b\r"), "\n");
  EXPECT_STREQ(f.ed.line(), "ab");
  Ed g;
  g.Type("ab");
  EXPECT_EQ(g.Type("\x1bO\x7f"), "\b \b");
  Ed h;
  h.Type("ab");
  EXPECT_EQ(h.Type("\x1b\x1b[D"), "\x1b[1D");  // ESC ESC: the second starts anew
}

TEST(LineEditor, SequencesSplitAcrossReads) {
  // Fed byte by byte already; also between Begin/Feed rounds the state
  // survives (a read boundary is nothing to the editor).
  for (const char* seq : {"\x1b[D", "\x1b[3~", "\x1bOH", "\x1b[1~"}) {
    Ed e;
    e.Type("abc\x1b[D\x1b[D");
    std::string w;
    for (size_t i = 0; seq[i] != '\0'; i++) {
      Output out;
      e.ed.Feed(static_cast<uint8_t>(seq[i]), out);
      if (seq[i + 1] != '\0') {
        EXPECT_EQ(out.size(), 0u);  // nothing until the sequence is whole
      }
      w.append(out.data(), out.size());
    }
    EXPECT_NE(w, "");
  }
}

TEST(LineEditor, OtherBytesAreIgnored) {
  Ed e;
  e.Type("ab");
  for (int c = 0; c < 256; c++) {
    bool handled = c == 0x01 || c == 0x02 || c == 0x03 || c == 0x05 || c == 0x06 || c == 0x08 ||
                   c == 0x09 || c == 0x0a || c == 0x0b || c == 0x0c || c == 0x0d || c == 0x0e ||
                   c == 0x10 || c == 0x15 || c == 0x17 || c == 0x1b || (c >= 0x20 && c <= 0x7f);
    if (handled) {
      continue;
    }
    EXPECT_EQ(e.Type(std::string(1, static_cast<char>(c))), "") << c;
    EXPECT_EQ(e.text(), "ab");
    EXPECT_EQ(e.last, LineEditor::Event::kNone);
  }
}

// A one-row terminal: interprets what the editor writes.
class Terminal {
 public:
  void Write(const std::string& s) {
    for (size_t i = 0; i < s.size(); i++) {
      char c = s[i];
      if (c == '\r') {
        col_ = 0;
      } else if (c == '\n') {
        row_.clear();  // a new row (the console sends CR LF)
        col_ = 0;
        rows_++;
      } else if (c == '\b') {
        ASSERT_GT(col_, 0u);
        col_--;
      } else if (c == '\a') {
      } else if (c == '\x1b') {
        ASSERT_LT(i + 2, s.size() + 1);
        ASSERT_EQ(s[i + 1], '[');
        size_t j = i + 2;
        size_t n = 0;
        bool digits = false;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
          n = n * 10 + static_cast<size_t>(s[j] - '0');
          digits = true;
          j++;
        }
        ASSERT_LT(j, s.size());
        if (s[j] == 'K') {
          ASSERT_FALSE(digits);
          row_.resize(col_ < row_.size() ? col_ : row_.size());
        } else if (s[j] == 'C') {
          ASSERT_TRUE(digits && n > 0);
          col_ += n;
        } else if (s[j] == 'D') {
          ASSERT_TRUE(digits && n > 0);
          ASSERT_GE(col_, n);
          col_ -= n;
        } else {
          FAIL() << "unexpected sequence final " << s[j];
        }
        i = j;
      } else {
        ASSERT_GE(c, 0x20);
        ASSERT_LT(c, 0x7f);
        if (row_.size() < col_ + 1) {
          row_.resize(col_ + 1, ' ');
        }
        row_[col_++] = c;
      }
    }
  }
  std::string row() const {
    // Trailing blanks never matter on a terminal.
    std::string r = row_;
    while (!r.empty() && r.back() == ' ') {
      r.pop_back();
    }
    return r;
  }
  size_t col() const { return col_; }
  size_t rows() const { return rows_; }

 private:
  std::string row_;
  size_t col_ = 0;
  size_t rows_ = 0;
};

// Keys, each as bytes; some unknown.
const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = {
      "a",      "b",       " ",      "z",      "1",       "\x7f",    "\x08",    "\x1b[D",
      "\x1b[C", "\x1bOD",  "\x1bOC", "\x1b[H", "\x1b[F",  "\x1b[1~", "\x1b[4~", "\x1bOH",
      "\x1bOF", "\x1b[3~", "\x01",   "\x05",   "\x15",    "\x17",    "\x0b",    "\x1b[A",
      "\x1b[B", "\t",      "\x0c",   "\x1b[Z", "\x1b[5~", "\x1bx",   "\x80",    "\x02",
      "\x06",   "d",       "s",      "\r",     "\n",      "\r\n",    "\x03"};
  return keys;
}

// After every key: the terminal shows the prompt and the edited text, the
// cursor where the editor has it (a new prompt after Enter or Ctrl-C).
void Check(Ed& e, Terminal& t, const std::string& k, const std::string& where) {
  size_t rows_before = t.rows();
  t.Write(e.Type(k));
  if (e.last != LineEditor::Event::kNone) {
    t.Write(e.Begin());
    e.last = LineEditor::Event::kNone;
  } else if (t.rows() != rows_before) {
    EXPECT_EQ(k, "\t") << where;  // only a completion listing adds rows
  }
  std::string want = "mica> " + e.text();
  while (!want.empty() && want.back() == ' ') {
    want.pop_back();
  }
  ASSERT_EQ(t.row(), want) << where;
  ASSERT_EQ(t.col(), 6 + e.ed.cursor()) << where;
  ASSERT_LE(e.ed.length(), LineEditor::kMaxLine) << where;
}

TEST(LineEditor, EveryThreeKeySequenceShowsWhatIsEdited) {
  // Every sequence of three keys, from a line with history and the cursor
  // inside a word.
  const std::vector<std::string>& keys = Keys();
  for (size_t a = 0; a < keys.size(); a++) {
    for (size_t b = 0; b < keys.size(); b++) {
      for (size_t c = 0; c < keys.size(); c++) {
        Ed e;
        Terminal t;
        t.Write(e.Begin());
        t.Write(e.Type("echo one\r"));
        t.Write(e.Begin());
        t.Write(e.Type("dri\x1b[D"));
        std::string where = std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c);
        Check(e, t, keys[a], where);
        Check(e, t, keys[b], where);
        Check(e, t, keys[c], where);
        if (HasFatalFailure()) {
          return;
        }
      }
    }
  }
}

TEST(LineEditor, RandomTypingShowsWhatIsEdited) {
  const std::vector<std::string>& keys = Keys();
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; round++) {
    Ed e;
    Terminal t;
    t.Write(e.Begin());
    std::vector<std::string> entered;
    for (int step = 0; step < 200; step++) {
      const std::string& k = keys[rng() % keys.size()];
      size_t rows_before = t.rows();
      t.Write(e.Type(k));
      if (e.last != LineEditor::Event::kNone) {
        if (e.last == LineEditor::Event::kLine) {
          entered.push_back(e.ed.line());
        }
        t.Write(e.Begin());
        e.last = LineEditor::Event::kNone;
      } else if (t.rows() != rows_before) {
        // Only a completion listing writes rows without ending the line.
        EXPECT_EQ(k, "\t");
      }
      std::string want = "mica> " + e.text();
      while (!want.empty() && want.back() == ' ') {
        want.pop_back();
      }
      ASSERT_EQ(t.row(), want) << "round " << round << " step " << step;
      ASSERT_EQ(t.col(), 6 + e.ed.cursor()) << "round " << round << " step " << step;
      ASSERT_LE(e.ed.length(), LineEditor::kMaxLine);
    }
    // The history holds the newest distinct non-empty entered lines.
    std::vector<std::string> model;
    for (const std::string& l : entered) {
      if (!l.empty() && (model.empty() || model.back() != l)) {
        model.push_back(l);
      }
    }
    size_t want = model.size() < LineEditor::kHistory ? model.size() : LineEditor::kHistory;
    ASSERT_EQ(e.ed.history_size(), want);
    for (size_t i = 0; i < want; i++) {
      EXPECT_EQ(e.ed.history(i), model[model.size() - 1 - i]);
    }
  }
}

}  // namespace
}  // namespace shell
