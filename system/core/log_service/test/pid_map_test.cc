// PidMonikers (pid_map.h): every contract clause, and which moniker a
// record merged from the kernel's log carries.
#include "system/core/log_service/pid_map.h"

#include <gtest/gtest.h>

#include <string>

namespace log_service {
namespace {

TEST(PidMonikers, AttachFindDetach) {
  PidMonikers m(4);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.Find(1050), "");
  EXPECT_TRUE(m.Attach(1050, "driver_manager"));
  EXPECT_EQ(m.Find(1050), "driver_manager");
  EXPECT_EQ(m.live(1050), 1u);
  EXPECT_EQ(m.Find(1051), "");
  m.Detach(1050);
  EXPECT_EQ(m.live(1050), 0u);
  // Retired, not forgotten: late lines of an exited process keep its name.
  EXPECT_EQ(m.Find(1050), "driver_manager");
  EXPECT_EQ(m.size(), 1u);
}

TEST(PidMonikers, PidZeroAndEmptyMonikerAreIgnored) {
  PidMonikers m(2);
  EXPECT_FALSE(m.Attach(0, "shell"));
  EXPECT_FALSE(m.Attach(7, ""));
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.Find(0), "");
  m.Detach(0);  // nothing to do
  m.Detach(99);
  EXPECT_EQ(m.size(), 0u);
}

TEST(PidMonikers, SeveralConnectionsOfOneProcessShareAnEntry) {
  PidMonikers m(2);
  EXPECT_TRUE(m.Attach(9, "shell"));
  EXPECT_TRUE(m.Attach(9, "shell"));
  EXPECT_TRUE(m.Attach(9, "shell"));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.live(9), 3u);
  m.Detach(9);
  m.Detach(9);
  EXPECT_EQ(m.live(9), 1u);
  // Still live: a new pid cannot take it once the other entry is live too.
  EXPECT_TRUE(m.Attach(10, "log"));
  EXPECT_FALSE(m.Attach(11, "run:hello-1"));
  EXPECT_EQ(m.Find(9), "shell");
  EXPECT_EQ(m.Find(10), "log");
  EXPECT_EQ(m.Find(11), "");
  m.Detach(9);
  m.Detach(9);  // one too many: stays retired
  EXPECT_EQ(m.live(9), 0u);
  EXPECT_TRUE(m.Attach(11, "run:hello-1"));
  EXPECT_EQ(m.Find(9), "");
  EXPECT_EQ(m.Find(11), "run:hello-1");
}

TEST(PidMonikers, TheLatestAttachNamesTheProcess) {
  PidMonikers m(2);
  EXPECT_TRUE(m.Attach(5, "first"));
  EXPECT_TRUE(m.Attach(5, "second/longer"));
  EXPECT_EQ(m.Find(5), "second/longer");
  EXPECT_TRUE(m.Attach(5, "x"));
  EXPECT_EQ(m.Find(5), "x");
  EXPECT_EQ(m.live(5), 3u);
}

TEST(PidMonikers, ReusesTheLongestRetiredFirstAndNeverALiveEntry) {
  PidMonikers m(3);
  EXPECT_TRUE(m.Attach(1, "a"));
  EXPECT_TRUE(m.Attach(2, "b"));
  EXPECT_TRUE(m.Attach(3, "c"));
  m.Detach(2);  // retired first
  m.Detach(3);  // retired second
  EXPECT_TRUE(m.Attach(4, "d"));
  EXPECT_EQ(m.Find(2), "");
  EXPECT_EQ(m.Find(3), "c");
  EXPECT_TRUE(m.Attach(5, "e"));
  EXPECT_EQ(m.Find(3), "");
  EXPECT_EQ(m.Find(1), "a");  // live all along
  EXPECT_FALSE(m.Attach(6, "f"));
  EXPECT_EQ(m.size(), 3u);
  // A retired entry attached again is live again, keeping its slot.
  m.Detach(4);
  EXPECT_TRUE(m.Attach(4, "d2"));
  EXPECT_EQ(m.live(4), 1u);
  EXPECT_FALSE(m.Attach(6, "f"));
}

// Against the connection limit: with capacity == the limit, any sequence
// of attaches and detaches that keeps at most `capacity` connections open
// finds every live process.
TEST(PidMonikers, EveryLiveProcessHasItsEntryUnderTheConnectionLimit) {
  constexpr size_t kCap = 16;
  PidMonikers m(kCap);
  uint64_t open[kCap] = {};  // pid per open connection slot, 0: closed
  uint64_t next_pid = 1000;
  uint32_t seed = 12345;
  for (int step = 0; step < 20000; step++) {
    seed = seed * 1103515245u + 12345u;
    size_t slot = (seed >> 8) % kCap;
    if (open[slot] != 0) {
      m.Detach(open[slot]);
      open[slot] = 0;
      continue;
    }
    // Half the time a second connection of an already open process.
    uint64_t pid = 0;
    if ((seed >> 20) & 1) {
      for (uint64_t p : open) {
        pid = p != 0 ? p : pid;
      }
    }
    if (pid == 0) {
      pid = next_pid++;
    }
    ASSERT_TRUE(m.Attach(pid, "p" + std::to_string(pid))) << step;
    open[slot] = pid;
    for (uint64_t p : open) {
      if (p != 0) {
        ASSERT_EQ(m.Find(p), "p" + std::to_string(p)) << step;
        ASSERT_GE(m.live(p), 1u);
      }
    }
    ASSERT_LE(m.size(), kCap);
  }
}

TEST(PidMonikers, MonikerIsCutToTheLimit) {
  PidMonikers m(1);
  std::string long_name(kMaxMoniker + 20, 'm');
  EXPECT_TRUE(m.Attach(3, long_name));
  EXPECT_EQ(m.Find(3).size(), kMaxMoniker);
}

TEST(PidMonikers, ZeroCapacityHoldsNothing) {
  PidMonikers m(0);
  EXPECT_FALSE(m.ok());
  EXPECT_FALSE(m.Attach(1, "a"));
  EXPECT_EQ(m.Find(1), "");
}

TEST(KernelRecordMoniker, KernelAttachedOrDebuglog) {
  PidMonikers m(4);
  ASSERT_TRUE(m.Attach(1050, "driver_manager"));
  EXPECT_EQ(KernelRecordMoniker(0, m), "kernel");
  EXPECT_EQ(KernelRecordMoniker(1050, m), "driver_manager");
  EXPECT_EQ(KernelRecordMoniker(1051, m), "debuglog");
  m.Detach(1050);
  EXPECT_EQ(KernelRecordMoniker(1050, m), "driver_manager");  // late lines after its exit
}

}  // namespace
}  // namespace log_service
