#include "drivers/serial/lib/line_discipline.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mica::drivers::serial {
namespace {

// Feeds `in`; returns the echo.
std::string Type(LineDiscipline& ld, const std::string& in) {
  std::string echo;
  for (char c : in) {
    uint8_t out[LineDiscipline::kMaxEcho];
    size_t n = ld.Input(static_cast<uint8_t>(c), out);
    EXPECT_LE(n, LineDiscipline::kMaxEcho);
    echo.append(reinterpret_cast<const char*>(out), n);
  }
  return echo;
}

std::string ReadAll(LineDiscipline& ld) {
  std::string out;
  uint8_t buf[7];
  size_t n;
  while ((n = ld.Read(buf, sizeof(buf))) != 0) {
    out.append(reinterpret_cast<const char*>(buf), n);
  }
  return out;
}

TEST(LineDiscipline, EchoesPrintablesAndEndsLinesOnCr) {
  LineDiscipline ld;
  EXPECT_EQ(Type(ld, "hi there"), "hi there");
  EXPECT_EQ(ld.readable(), 0u);  // nothing readable before Enter
  EXPECT_EQ(Type(ld, "\r"), "\n");
  EXPECT_EQ(ReadAll(ld), "hi there\n");
  EXPECT_EQ(ld.lines(), 1u);
}

TEST(LineDiscipline, CrLfIsOneEnterButLfAloneEndsALine) {
  LineDiscipline ld;
  EXPECT_EQ(Type(ld, "a\r\nb\nc\n\r"), "a\nb\nc\n\n");
  EXPECT_EQ(ReadAll(ld), "a\nb\nc\n\n");
}

TEST(LineDiscipline, BackspaceAndDeleteEraseOnlyWhatWasTyped) {
  LineDiscipline ld;
  EXPECT_EQ(Type(ld, "\b\x7f"), "");  // nothing to erase
  EXPECT_EQ(Type(ld, "abc\b\x7f"), "abc\b \b\b \b");
  EXPECT_EQ(ld.editing(), 1u);
  EXPECT_EQ(Type(ld, "z\r"), "z\n");
  EXPECT_EQ(ReadAll(ld), "az\n");
}

TEST(LineDiscipline, EveryOtherByteIsIgnored) {
  LineDiscipline ld;
  for (int c = 0; c < 256; c++) {
    bool handled = c == '\r' || c == '\n' || c == 0x08 || c == 0x7f || (c >= 0x20 && c <= 0x7e);
    if (handled) {
      continue;
    }
    uint8_t out[LineDiscipline::kMaxEcho];
    EXPECT_EQ(ld.Input(static_cast<uint8_t>(c), out), 0u) << c;
  }
  EXPECT_EQ(ld.editing(), 0u);
  EXPECT_EQ(ld.readable(), 0u);
}

TEST(LineDiscipline, AFullLineTakesNoMoreCharacters) {
  LineDiscipline ld;
  std::string many(LineDiscipline::kEditMax + 10, 'q');
  EXPECT_EQ(Type(ld, many), std::string(LineDiscipline::kEditMax, 'q'));
  Type(ld, "\r");
  EXPECT_EQ(ReadAll(ld), std::string(LineDiscipline::kEditMax, 'q') + "\n");
}

TEST(LineDiscipline, LinesAreReadableWholeOrDropped) {
  LineDiscipline ld;
  std::string line(99, 'x');
  size_t fit = LineDiscipline::kReadyBytes / 100;
  for (size_t i = 0; i < fit + 3; i++) {
    Type(ld, line + "\r");
  }
  EXPECT_EQ(ld.lines(), fit);
  EXPECT_EQ(ld.lines_dropped(), 3u);
  std::string all = ReadAll(ld);
  EXPECT_EQ(all.size(), fit * 100);
  for (size_t i = 0; i < fit; i++) {
    EXPECT_EQ(all.substr(i * 100, 100), line + "\n");
  }
}

// Random input: the readable bytes are always whole lines of printable
// ASCII, and the echo replayed on a terminal model shows what was read.
TEST(LineDiscipline, RawModePassesEveryByteWithoutEcho) {
  LineDiscipline ld;
  ld.SetRaw(true);
  EXPECT_TRUE(ld.raw());
  std::string all;
  for (int c = 0; c < 256; c++) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(Type(ld, all), "");  // nothing echoed
  EXPECT_EQ(ReadAll(ld), all);   // every byte, in order, at once
  EXPECT_EQ(ld.lines(), 0u);
  EXPECT_EQ(ld.bytes_dropped(), 0u);
}

TEST(LineDiscipline, RawModeDropsBytesWhenTheRingIsFull) {
  LineDiscipline ld;
  ld.SetRaw(true);
  std::string many(LineDiscipline::kReadyBytes + 10, 'x');
  Type(ld, many);
  EXPECT_EQ(ld.readable(), LineDiscipline::kReadyBytes);
  EXPECT_EQ(ld.bytes_dropped(), 10u);
  ld.NoteCut();  // the redraw needs no room in the ring
  EXPECT_EQ(ld.bytes_dropped(), 10u);
  EXPECT_EQ(ld.readable(), LineDiscipline::kReadyBytes + 1);
  std::string all = ReadAll(ld);
  ASSERT_EQ(all.size(), LineDiscipline::kReadyBytes + 1);
  EXPECT_EQ(all[0], '\x0c');
}

TEST(LineDiscipline, NoteCutMakesARedrawReadableInRawModeOnly) {
  LineDiscipline ld;
  Type(ld, "ab");
  ld.NoteCut();
  EXPECT_EQ(ld.readable(), 0u);  // canonical: nothing
  EXPECT_EQ(Type(ld, "\r"), "\n");
  EXPECT_EQ(ReadAll(ld), "ab\n");
  ld.SetRaw(true);
  Type(ld, "ab");
  ld.NoteCut();
  ld.NoteCut();  // one redraw, however many cuts before the read
  Type(ld, "c");
  EXPECT_EQ(ld.readable(), 4u);
  // The redraw first, ahead of what was typed before it.
  uint8_t one[1];
  EXPECT_EQ(ld.Read(one, 1), 1u);
  EXPECT_EQ(one[0], 0x0c);
  EXPECT_EQ(ReadAll(ld), "abc");
  EXPECT_EQ(ld.Read(one, 0), 0u);
  ld.NoteCut();
  EXPECT_EQ(ld.Read(one, 0), 0u);  // nothing fits: still pending
  EXPECT_EQ(ReadAll(ld), "\x0c");
  ld.NoteCut();
  ld.SetRaw(false);  // a switch drops it
  ld.SetRaw(true);
  EXPECT_EQ(ld.readable(), 0u);
}

TEST(LineDiscipline, RawModeReadsWhatWasTypedAheadInCanonicalMode) {
  LineDiscipline ld;
  EXPECT_EQ(Type(ld, "done\rha\x01lx\x7f" "f"), "done\nhalx\b \bf");
  ld.SetRaw(true);
  EXPECT_EQ(ld.editing(), 0u);
  EXPECT_EQ(ld.bytes_dropped(), 0u);
  // The finished line, then the edited one as it stands, then raw input.
  EXPECT_EQ(Type(ld, "\x1b[D"), "");
  EXPECT_EQ(ReadAll(ld), "done\nhalf\x1b[D");
  ld.SetRaw(true);  // the mode it has: nothing changes
  Type(ld, "x");
  ld.SetRaw(true);
  EXPECT_EQ(ReadAll(ld), "x");
}

TEST(LineDiscipline, ACrLfSplitByTheSwitchToRawIsOneEnter) {
  LineDiscipline ld;
  Type(ld, "ls\r");
  ld.SetRaw(true);
  Type(ld, "\n\nq");  // the first LF ends the CR LF; the second is a key
  EXPECT_EQ(ReadAll(ld), "ls\n\nq");
  LineDiscipline lf;
  Type(lf, "ls\n");
  lf.SetRaw(true);
  Type(lf, "\n");
  EXPECT_EQ(ReadAll(lf), "ls\n\n");
}

TEST(LineDiscipline, TypeAheadThatDoesNotFitIsCounted) {
  LineDiscipline ld;
  std::string line(LineDiscipline::kEditMax - 1, 'a');
  size_t lines = 0;
  while (ld.readable() + line.size() + 1 <= LineDiscipline::kReadyBytes) {
    Type(ld, line + "\r");
    lines++;
  }
  size_t room = LineDiscipline::kReadyBytes - ld.readable();
  ASSERT_LT(room, line.size());
  Type(ld, line);  // the edited line: only `room` bytes of it fit
  ld.SetRaw(true);
  EXPECT_EQ(ld.bytes_dropped(), line.size() - room);
  EXPECT_EQ(ld.readable(), LineDiscipline::kReadyBytes);
  std::string all = ReadAll(ld);
  EXPECT_EQ(all.substr(0, line.size() + 1), line + "\n");
  EXPECT_EQ(all.substr(lines * (line.size() + 1)), std::string(room, 'a'));
}

TEST(LineDiscipline, SwitchingBackToCanonicalDiscardsRawBytesNotRead) {
  LineDiscipline ld;
  ld.SetRaw(true);
  Type(ld, "raw\r");
  ld.NoteCut();
  ld.SetRaw(false);
  EXPECT_EQ(ld.readable(), 0u);
  // Canonical again: editing and echo as before; a CR LF split by the
  // switch is not one Enter.
  EXPECT_EQ(Type(ld, "\nok\b\r"), "\nok\b \b\n");
  EXPECT_EQ(ReadAll(ld), "\no\n");
}

TEST(LineDiscipline, RandomInputYieldsWholePrintableLines) {
  std::mt19937 rng(5);
  for (int round = 0; round < 200; round++) {
    LineDiscipline ld;
    std::string in;
    for (int i = 0; i < 300; i++) {
      int pick = rng() % 10;
      in += pick == 0   ? '\r'
            : pick == 1 ? '\x7f'
            : pick == 2 ? static_cast<char>(rng() % 256)
                        : static_cast<char>('a' + rng() % 26);
    }
    std::string echo = Type(ld, in);
    std::string screen, cur;  // the echo on a terminal: lines, then the current one
    for (char c : echo) {
      if (c == '\n') {
        screen += cur + "\n";
        cur.clear();
      } else if (c == '\b') {
        ASSERT_FALSE(cur.empty());
        cur.pop_back();
      } else {
        cur += c;  // "\b \b" draws a space over the erased character, then backs over it
      }
    }
    std::string read = ReadAll(ld);
    ASSERT_TRUE(read.empty() || read.back() == '\n');
    for (char c : read) {
      ASSERT_TRUE(c == '\n' || (c >= 0x20 && c <= 0x7e)) << static_cast<int>(c);
    }
    EXPECT_EQ(read, screen);
    EXPECT_EQ(cur.size(), ld.editing());
  }
}

}  // namespace
}  // namespace mica::drivers::serial
