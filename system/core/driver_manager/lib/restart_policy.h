// RestartTracker: the restart decision for one driver node, as a pure state
// machine over caller-supplied times (no clock, no timers, no heap), in the
// spirit of MINIX 3's reincarnation server.
//
// Contract.
// - States: kStopped (never started), kRunning, kBackoff (failed, waiting
//   `delay_ns` before the next start), kFailed (gave up; final).
// - OnStarted(now): the driver process was started (from kStopped or
//   kBackoff). OnFailure(now, reason): it crashed, exited, or missed its
//   liveness answer (the caller kills it first); only meaningful in
//   kRunning, ignored otherwise (returns the current decision).
// - Stable period: if the failed run had lasted at least policy.stable_ns,
//   the history is forgotten first (the next restart immediate again, the
//   window's count back to 0). (stable_ns 0 would make every run stable and
//   the node never fail; ParseManifest refuses it.)
// - Window: failures older than policy.window_ns are not counted. If the
//   driver has already been restarted max_restarts times within the window,
//   this failure makes it kFailed; otherwise kBackoff. With
//   `immediate_first` (the default): delay 0 for the first consecutive
//   failure (a driver that fails once is back as soon as the manager can
//   start it) and backoff_initial_ns * 2^(consecutive failures - 2) from
//   the second on. Without it: backoff_initial_ns * 2^(consecutive
//   failures - 1) from the first. Capped at backoff_max_ns either way (no
//   overflow for any policy ParseManifest accepts or any caller value: the
//   doubling stops at the cap).
// - max_restarts 0 means the first failure is final. At most
//   kMaxTrackedRestarts restarts are remembered: larger limits are clamped.
// - Times are monotonic nanoseconds; a `now` earlier than a previous one is
//   treated as equal to it.
#pragma once

#include <stdint.h>

#include "system/core/driver_manager/lib/manifest.h"

namespace dm {

inline constexpr uint32_t kMaxTrackedRestarts = 64;

enum class DriverState : uint8_t { kStopped, kRunning, kBackoff, kFailed };
enum class FailureReason : uint8_t { kCrashed, kExited, kLivenessMissed };

const char* DriverStateName(DriverState state);
const char* FailureReasonName(FailureReason reason);

struct RestartDecision {
  DriverState state = DriverState::kStopped;  // kBackoff or kFailed after a failure
  uint64_t delay_ns = 0;                      // kBackoff: wait this long, then start
};

class RestartTracker {
 public:
  explicit RestartTracker(const RestartPolicy& policy, bool immediate_first = true);

  void OnStarted(uint64_t now_ns);
  // Changes `immediate_first` for the failures from now on.
  void set_immediate_first(bool immediate_first) { immediate_first_ = immediate_first; }
  RestartDecision OnFailure(uint64_t now_ns, FailureReason reason);

  DriverState state() const { return state_; }
  // Restarts decided over the tracker's life (the inspection's count).
  uint32_t restart_count() const { return total_restarts_; }
  // Failures in a row since the last stable run.
  uint32_t consecutive_failures() const { return consecutive_; }
  FailureReason last_reason() const { return last_reason_; }

 private:
  uint64_t Clamp(uint64_t now_ns);
  uint32_t RestartsInWindow(uint64_t now_ns) const;
  uint64_t Backoff() const;

  RestartPolicy policy_;
  bool immediate_first_;
  DriverState state_ = DriverState::kStopped;
  uint64_t last_now_ = 0;
  uint64_t started_at_ = 0;
  uint32_t consecutive_ = 0;
  uint32_t total_restarts_ = 0;
  FailureReason last_reason_ = FailureReason::kCrashed;
  // Times of the most recent restarts (a ring of the last kMaxTrackedRestarts).
  uint64_t restarts_[kMaxTrackedRestarts] = {};
  uint32_t ring_next_ = 0;
  uint32_t ring_count_ = 0;
};

}  // namespace dm
