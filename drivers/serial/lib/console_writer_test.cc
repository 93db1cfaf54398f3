#include "drivers/serial/lib/console_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mica::drivers::serial {
namespace {

// A device whose transmit side takes at most `room` bytes until the test
// drains it, like a UART's ring in front of a slow wire.
class SinkDevice : public SerialDevice {
 public:
  explicit SinkDevice(size_t room) : room_(room) {}
  uint32_t OnInterrupt() override { return 0; }
  size_t Read(uint8_t*, size_t) override { return 0; }
  size_t Write(const uint8_t* data, size_t n) override {
    size_t take = n < TxFree() ? n : TxFree();
    held_.append(reinterpret_cast<const char*>(data), take);
    return take;
  }
  size_t TxFree() const override { return room_ - held_.size(); }
  bool TxRingEmpty() const override { return held_.empty(); }
  const SerialStats& stats() const override { return stats_; }
  // The wire: everything sent so far.
  void Drain() {
    wire += held_;
    held_.clear();
  }
  std::string wire;

 private:
  size_t room_;
  std::string held_;
  SerialStats stats_;
};

template <typename W>
size_t WriteStr(W& w, size_t writer, const std::string& s) {
  return w.Write(writer, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(ConsoleWriter, PartialLinesWaitForTheirNewline) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  EXPECT_EQ(WriteStr(w, 0, "hello "), 6u);
  EXPECT_EQ(WriteStr(w, 1, "other line\n"), 11u);
  EXPECT_EQ(WriteStr(w, 0, "world\n"), 6u);
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "other line\nhello world\n");
}

TEST(ConsoleWriter, FlushCommitsAPrompt) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  WriteStr(w, 2, "> ");
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "");
  EXPECT_TRUE(w.Flush(2));
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "> ");
}

TEST(ConsoleWriter, OverlongLinesAreCutIntoWholePieces) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  std::string longline(70, 'x');
  longline += "\n";
  EXPECT_EQ(WriteStr(w, 0, longline), longline.size());
  WriteStr(w, 1, "B\n");
  // 32 + 32 committed; the queue (64) is full, so both the last piece and
  // writer 1's line wait, and Pump commits waiting lines in writer order.
  EXPECT_EQ(w.queued(), 64u);
  EXPECT_EQ(w.pending(0), 7u);
  EXPECT_EQ(w.pending(1), 2u);
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, std::string(70, 'x') + "\nB\n");
}

TEST(ConsoleWriter, InvalidWriterIsRefused) {
  ConsoleWriter<4, 32, 64> w;
  EXPECT_EQ(WriteStr(w, 4, "x\n"), 0u);
  EXPECT_FALSE(w.Flush(4));
}

TEST(ConsoleWriter, AnotherWritersLineStartsOnANewLine) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  WriteStr(w, 2, "ab");  // typed characters, echoed at once
  ASSERT_TRUE(w.Flush(2));
  WriteStr(w, 0, "kernel line\n");
  WriteStr(w, 2, "c");  // the typist continues on a line of its own
  ASSERT_TRUE(w.Flush(2));
  WriteStr(w, 2, "\n");
  WriteStr(w, 1, "client\n");
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "ab\nkernel line\nc\nclient\n");
}

TEST(ConsoleWriter, CutsCountWhoseLineWasCut) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  WriteStr(w, 1, "mica> ");  // a prompt
  ASSERT_TRUE(w.Flush(1));
  EXPECT_EQ(w.cuts(1), 0u);
  WriteStr(w, 1, "ps");  // the same writer continues: no cut
  ASSERT_TRUE(w.Flush(1));
  EXPECT_EQ(w.cuts(1), 0u);
  WriteStr(w, 0, "log one\n");  // cuts the prompt's line
  EXPECT_EQ(w.cuts(1), 1u);
  EXPECT_EQ(w.cuts(0), 0u);
  WriteStr(w, 0, "log two\n");  // the wire is at a line start: no cut
  EXPECT_EQ(w.cuts(1), 1u);
  WriteStr(w, 1, "mica> ps");  // redrawn
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 2, "x");  // another writer's flushed partial line cuts it too
  ASSERT_TRUE(w.Flush(2));
  EXPECT_EQ(w.cuts(1), 2u);
  WriteStr(w, 1, "\n");  // and the client's newline cuts the echo's
  EXPECT_EQ(w.cuts(2), 1u);
  EXPECT_EQ(w.cuts(4), 0u);  // no such writer
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "mica> ps\nlog one\nlog two\nmica> ps\nx\n\n");
}

TEST(ConsoleWriter, AReplayedPromptShowsAgainBelowTheLineThatCutIt) {
  ConsoleWriter<4, 64, 256> w;
  w.set_replay(1, true);
  SinkDevice dev(1000);
  WriteStr(w, 1, "mica> ec");
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 1, "\rmica> eco\x1b[K\x1b[1D");  // a redraw, the cursor moved
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 0, "log line\n");
  EXPECT_EQ(w.cuts(1), 0u);     // replayed, not counted
  WriteStr(w, 0, "another\n");  // the replay left the prompt open: cut again
  WriteStr(w, 1, "h\n");        // the writer continues its line
  WriteStr(w, 0, "after\n");    // a line start: nothing replayed
  w.Pump(dev);
  dev.Drain();
  const std::string shown = "mica> ec\rmica> eco\x1b[K\x1b[1D";
  EXPECT_EQ(dev.wire, shown + "\nlog line\n" + shown + "\nanother\n" + shown + "h\nafter\n");
  EXPECT_EQ(w.cuts(1), 0u);
}

TEST(ConsoleWriter, NoReplayWhenTooLongOrCutByAPartialLine) {
  ConsoleWriter<4, 32, 256> w;
  w.set_replay(1, true);
  SinkDevice dev(1000);
  // More than kLineMax bytes since the last newline: counted, not replayed.
  std::string long_prompt(40, 'p');
  WriteStr(w, 1, long_prompt);
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 0, "log\n");
  EXPECT_EQ(w.cuts(1), 1u);
  // A short prompt, cut by another writer's partial line: counted.
  WriteStr(w, 1, "> ");
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 2, "x");
  ASSERT_TRUE(w.Flush(2));
  EXPECT_EQ(w.cuts(1), 2u);
  WriteStr(w, 2, "\n");
  // Replay off: counted, not replayed.
  w.set_replay(1, false);
  WriteStr(w, 1, "> ");
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 0, "log\n");
  EXPECT_EQ(w.cuts(1), 3u);
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, long_prompt + "\nlog\n> \nx\n> \nlog\n");
}

TEST(ConsoleWriter, ALineWaitsForRoomForTheReplayToo) {
  ConsoleWriter<4, 16, 32> w;
  w.set_replay(1, true);
  SinkDevice dev(4);
  WriteStr(w, 1, "prompt> ");  // 8 bytes queued
  ASSERT_TRUE(w.Flush(1));
  // The log line (16) + '\n' + the replay (8) needs 25 > 24 free.
  EXPECT_EQ(WriteStr(w, 0, "logline-0123456\n"), 16u);  // into its line buffer
  EXPECT_EQ(w.pending(0), 16u);                         // waiting for room
  for (int i = 0; i < 20; i++) {
    w.Pump(dev);
    dev.Drain();
  }
  EXPECT_EQ(w.pending(0), 0u);
  EXPECT_EQ(dev.wire, "prompt> \nlogline-0123456\nprompt> ");
  EXPECT_EQ(w.cuts(1), 0u);
}

TEST(ConsoleWriter, NoReplayThatCouldNeverFit) {
  ConsoleWriter<4, 16, 16> w;  // a full line and a replay never fit together
  w.set_replay(1, true);
  SinkDevice dev(100);
  WriteStr(w, 1, "prompt> ");
  ASSERT_TRUE(w.Flush(1));
  w.Pump(dev);
  EXPECT_EQ(WriteStr(w, 0, "logline-012345\n"), 15u);
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(w.pending(0), 0u);  // committed without the replay
  EXPECT_EQ(dev.wire, "prompt> \nlogline-012345\n");
  EXPECT_EQ(w.cuts(1), 1u);  // the client redraws instead
}

TEST(ConsoleWriter, TheSameWriterContinuesItsOwnLine) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(1000);
  WriteStr(w, 1, "> ");
  ASSERT_TRUE(w.Flush(1));
  WriteStr(w, 1, "done\n");
  w.Pump(dev);
  dev.Drain();
  EXPECT_EQ(dev.wire, "> done\n");
}

TEST(ConsoleWriter, CrlfSendsEveryNewlineAsCrLfWithinTheDevicesRoom) {
  for (size_t room = 2; room <= 9; room++) {
    ConsoleWriter<4, 32, 64> w;
    w.set_crlf(true);
    SinkDevice dev(room);
    WriteStr(w, 0, "a\n\nbc\n");
    for (int i = 0; i < 20 && w.queued() != 0; i++) {
      w.Pump(dev);
      dev.Drain();
    }
    w.Pump(dev);
    dev.Drain();
    EXPECT_EQ(dev.wire, "a\r\n\r\nbc\r\n") << room;
  }
}

// Four writers push random pieces of numbered lines through a small queue
// and a slow device; the wire must be whole lines, each from one writer,
// and each writer's lines in order with nothing lost.
TEST(ConsoleWriter, WritersNeverInterleaveWithinALine) {
  ConsoleWriter<4, 32, 64> w;
  SinkDevice dev(7);
  std::mt19937 rng(11);
  std::string todo[4];
  size_t done[4] = {};
  for (int wr = 0; wr < 4; wr++) {
    for (int line = 0; line < 200; line++) {
      std::string s = "w" + std::to_string(wr) + " l" + std::to_string(line);
      s += std::string(rng() % 20, static_cast<char>('a' + wr));
      todo[wr] += s + "\n";
    }
  }
  for (;;) {
    bool left = false;
    for (int wr = 0; wr < 4; wr++) {
      if (done[wr] == todo[wr].size()) {
        continue;
      }
      left = true;
      size_t n = std::min<size_t>(1 + rng() % 9, todo[wr].size() - done[wr]);
      done[wr] += w.Write(wr, reinterpret_cast<const uint8_t*>(todo[wr].data() + done[wr]), n);
    }
    w.Pump(dev);
    if (rng() % 2) {
      dev.Drain();
    }
    if (!left && w.queued() == 0) {
      dev.Drain();
      w.Pump(dev);
      dev.Drain();
      if (w.queued() == 0) {
        break;
      }
    }
  }
  std::string expect_per_writer[4];
  size_t start = 0;
  size_t lines = 0;
  while (start < dev.wire.size()) {
    size_t end = dev.wire.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = dev.wire.substr(start, end - start + 1);
    ASSERT_EQ(line[0], 'w');
    int wr = line[1] - '0';
    ASSERT_GE(wr, 0);
    ASSERT_LT(wr, 4);
    for (char c : line) {
      ASSERT_TRUE(c < 'a' || c > 'd' || c == 'a' + wr) << line;
    }
    expect_per_writer[wr] += line;
    start = end + 1;
    lines++;
  }
  EXPECT_EQ(lines, 800u);
  for (int wr = 0; wr < 4; wr++) {
    EXPECT_EQ(expect_per_writer[wr], todo[wr]);
  }
}

}  // namespace
}  // namespace mica::drivers::serial
