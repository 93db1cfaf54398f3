// RestartTracker against a fake clock: the immediate first restart, backoff
// doubling from the second and its cap, the failure window, the
// stable-period reset, state rules.
#include <gtest/gtest.h>

#include "system/core/driver_manager/lib/restart_policy.h"

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1000 * kMs;

// The clock the tests advance by hand.
struct FakeClock {
  uint64_t now = 1000 * kS;
  uint64_t Advance(uint64_t d) { return now += d; }
};

dm::RestartPolicy Policy(uint32_t max_restarts, uint64_t window, uint64_t initial, uint64_t max,
                         uint64_t stable) {
  dm::RestartPolicy p;
  p.max_restarts = max_restarts;
  p.window_ns = window;
  p.backoff_initial_ns = initial;
  p.backoff_max_ns = max;
  p.stable_ns = stable;
  return p;
}

TEST(RestartPolicy, BackoffDoublesUpToTheCap) {
  FakeClock clock;
  dm::RestartTracker t(Policy(20, 3600 * kS, 10 * kMs, 100 * kMs, 3600 * kS));
  EXPECT_EQ(t.state(), dm::DriverState::kStopped);
  const uint64_t expected[] = {0, 10, 20, 40, 80, 100, 100};
  for (uint64_t want : expected) {
    t.OnStarted(clock.now);
    EXPECT_EQ(t.state(), dm::DriverState::kRunning);
    const dm::RestartDecision d = t.OnFailure(clock.Advance(kMs), dm::FailureReason::kCrashed);
    EXPECT_EQ(d.state, dm::DriverState::kBackoff);
    EXPECT_EQ(d.delay_ns, want * kMs);
    clock.Advance(d.delay_ns);
  }
  EXPECT_EQ(t.restart_count(), 7u);
  EXPECT_EQ(t.consecutive_failures(), 7u);
}

// For every policy shape (initial below, at and near the cap; tiny and huge
// values): failure 1 restarts at once, failure k >= 2 waits
// min(initial * 2^(k-2), max), never decreasing.
TEST(RestartPolicy, FirstRestartImmediateThenExponential) {
  const uint64_t initials[] = {1, kMs, 5 * kMs, 10 * kMs, kS, UINT64_MAX / 2, UINT64_MAX};
  const uint64_t maxima[] = {1, 7 * kMs, 2 * kS, UINT64_MAX};
  for (uint64_t initial : initials) {
    for (uint64_t max : maxima) {
      SCOPED_TRACE(testing::Message() << "initial " << initial << " max " << max);
      FakeClock clock;
      dm::RestartTracker t(Policy(40, 3600 * kS, initial, max, UINT64_MAX));
      const uint64_t cap = max < initial ? initial : max;  // the constructor's rule
      uint64_t want = 0;
      for (uint32_t k = 1; k <= 40; ++k) {
        t.OnStarted(clock.now);
        const dm::RestartDecision d = t.OnFailure(clock.Advance(1), dm::FailureReason::kCrashed);
        ASSERT_EQ(d.state, dm::DriverState::kBackoff) << k;
        if (k == 2) {
          want = initial;
        } else if (k > 2) {
          want = want > cap / 2 ? cap : want * 2;
        }
        EXPECT_EQ(d.delay_ns, want < cap ? want : cap) << k;
      }
    }
  }
}

// Without the immediate first restart: INITIAL * 2^(k-1) from the first.
TEST(RestartPolicy, DelayedFirstRestartDoublesFromTheInitialBackoff) {
  FakeClock clock;
  dm::RestartTracker t(Policy(20, 3600 * kS, 10 * kMs, 100 * kMs, 3600 * kS),
                       /*immediate_first=*/false);
  const uint64_t expected[] = {10, 20, 40, 80, 100, 100};
  for (uint64_t want : expected) {
    t.OnStarted(clock.now);
    const dm::RestartDecision d = t.OnFailure(clock.Advance(kMs), dm::FailureReason::kCrashed);
    EXPECT_EQ(d.state, dm::DriverState::kBackoff);
    EXPECT_EQ(d.delay_ns, want * kMs);
    clock.Advance(d.delay_ns);
  }
  // A stable run starts over at the initial backoff, not at 0.
  t.OnStarted(clock.now);
  EXPECT_EQ(t.OnFailure(clock.Advance(4000 * kS), dm::FailureReason::kCrashed).delay_ns, 10 * kMs);
  // Switched back on, the next stable run's failure restarts at once.
  t.set_immediate_first(true);
  t.OnStarted(clock.now);
  EXPECT_EQ(t.OnFailure(clock.Advance(4000 * kS), dm::FailureReason::kCrashed).delay_ns, 0u);
}

TEST(RestartPolicy, FailsAfterMaxRestartsInWindow) {
  for (uint32_t max : {0u, 1u, 3u, 64u}) {
    SCOPED_TRACE(max);
    FakeClock clock;
    dm::RestartTracker t(Policy(max, 10 * kS, kMs, kMs, 3600 * kS));
    for (uint32_t i = 0; i < max; ++i) {
      t.OnStarted(clock.now);
      EXPECT_EQ(t.OnFailure(clock.Advance(kMs), dm::FailureReason::kExited).state,
                dm::DriverState::kBackoff);
    }
    t.OnStarted(clock.now);
    const dm::RestartDecision d = t.OnFailure(clock.Advance(kMs), dm::FailureReason::kExited);
    EXPECT_EQ(d.state, dm::DriverState::kFailed);
    EXPECT_EQ(t.state(), dm::DriverState::kFailed);
    EXPECT_EQ(t.restart_count(), max);
    // Failed is final.
    t.OnStarted(clock.Advance(kS));
    EXPECT_EQ(t.state(), dm::DriverState::kFailed);
    EXPECT_EQ(t.OnFailure(clock.Advance(kS), dm::FailureReason::kCrashed).state,
              dm::DriverState::kFailed);
  }
}

TEST(RestartPolicy, OldFailuresLeaveTheWindow) {
  FakeClock clock;
  dm::RestartTracker t(Policy(2, 10 * kS, kMs, kMs, 3600 * kS));
  // Failures 6 s apart: never more than 2 restarts within 10 s... until
  // three land inside one window.
  for (int i = 0; i < 10; ++i) {
    t.OnStarted(clock.now);
    EXPECT_EQ(t.OnFailure(clock.Advance(6 * kS), dm::FailureReason::kLivenessMissed).state,
              dm::DriverState::kBackoff)
        << i;
  }
  t.OnStarted(clock.now);
  t.OnFailure(clock.Advance(kS), dm::FailureReason::kCrashed);
  t.OnStarted(clock.now);
  EXPECT_EQ(t.OnFailure(clock.Advance(kS), dm::FailureReason::kCrashed).state,
            dm::DriverState::kFailed);
  EXPECT_EQ(t.last_reason(), dm::FailureReason::kCrashed);
}

TEST(RestartPolicy, StableRunResetsBackoffAndWindow) {
  FakeClock clock;
  dm::RestartTracker t(Policy(3, 3600 * kS, 10 * kMs, 10 * kS, 5 * kS));
  for (int i = 0; i < 3; ++i) {
    t.OnStarted(clock.now);
    t.OnFailure(clock.Advance(kMs), dm::FailureReason::kCrashed);
  }
  EXPECT_EQ(t.consecutive_failures(), 3u);
  // Now a run of exactly the stable period: history forgotten, the
  // restart immediate again and the next one back to the initial backoff.
  t.OnStarted(clock.now);
  dm::RestartDecision d = t.OnFailure(clock.Advance(5 * kS), dm::FailureReason::kCrashed);
  EXPECT_EQ(d.state, dm::DriverState::kBackoff);
  EXPECT_EQ(d.delay_ns, 0u);
  EXPECT_EQ(t.consecutive_failures(), 1u);
  EXPECT_EQ(t.restart_count(), 4u);
  t.OnStarted(clock.now);
  d = t.OnFailure(clock.Advance(kMs), dm::FailureReason::kCrashed);
  EXPECT_EQ(d.delay_ns, 10 * kMs);
  EXPECT_EQ(t.consecutive_failures(), 2u);
}

TEST(RestartPolicy, IgnoresOutOfOrderEventsAndTime) {
  FakeClock clock;
  dm::RestartTracker t(Policy(5, 10 * kS, kMs, 4 * kMs, kS));
  // A failure while not running changes nothing.
  EXPECT_EQ(t.OnFailure(clock.now, dm::FailureReason::kCrashed).state, dm::DriverState::kStopped);
  t.OnStarted(clock.now);
  t.OnStarted(clock.now + kS);  // a second start while running is ignored
  // Time going backwards is clamped: the run counts as 0 long.
  const dm::RestartDecision d = t.OnFailure(clock.now - kS, dm::FailureReason::kCrashed);
  EXPECT_EQ(d.state, dm::DriverState::kBackoff);
  EXPECT_EQ(d.delay_ns, 0u);
  EXPECT_STREQ(dm::DriverStateName(t.state()), "restarting");
  EXPECT_STREQ(dm::FailureReasonName(dm::FailureReason::kLivenessMissed),
               "missed its liveness check");
}

TEST(RestartPolicy, ExtremePoliciesDoNotOverflow) {
  FakeClock clock;
  dm::RestartTracker t(Policy(1000, UINT64_MAX, UINT64_MAX / 3, UINT64_MAX, UINT64_MAX));
  uint64_t last = 0;
  for (int i = 0; i < 64; ++i) {
    t.OnStarted(clock.now);
    const dm::RestartDecision d = t.OnFailure(clock.Advance(1), dm::FailureReason::kCrashed);
    ASSERT_EQ(d.state, dm::DriverState::kBackoff) << i;
    EXPECT_GE(d.delay_ns, last);
    last = d.delay_ns;
  }
  EXPECT_EQ(last, UINT64_MAX);
  // max_restarts above kMaxTrackedRestarts is clamped to it.
  t.OnStarted(clock.now);
  EXPECT_EQ(t.OnFailure(clock.Advance(1), dm::FailureReason::kCrashed).state,
            dm::DriverState::kFailed);
}

}  // namespace
