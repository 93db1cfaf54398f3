#include "system/core/driver_manager/lib/restart_policy.h"

namespace dm {

const char* DriverStateName(DriverState state) {
  switch (state) {
    case DriverState::kStopped:
      return "stopped";
    case DriverState::kRunning:
      return "running";
    case DriverState::kBackoff:
      return "restarting";
    case DriverState::kFailed:
      return "failed";
  }
  return "unknown";
}

const char* FailureReasonName(FailureReason reason) {
  switch (reason) {
    case FailureReason::kCrashed:
      return "crashed";
    case FailureReason::kExited:
      return "exited";
    case FailureReason::kLivenessMissed:
      return "missed its liveness check";
  }
  return "unknown";
}

RestartTracker::RestartTracker(const RestartPolicy& policy, bool immediate_first)
    : policy_(policy), immediate_first_(immediate_first) {
  if (policy_.max_restarts > kMaxTrackedRestarts) {
    policy_.max_restarts = kMaxTrackedRestarts;
  }
  if (policy_.backoff_max_ns < policy_.backoff_initial_ns) {
    policy_.backoff_max_ns = policy_.backoff_initial_ns;
  }
}

uint64_t RestartTracker::Clamp(uint64_t now_ns) {
  if (now_ns < last_now_) {
    now_ns = last_now_;
  }
  last_now_ = now_ns;
  return now_ns;
}

void RestartTracker::OnStarted(uint64_t now_ns) {
  now_ns = Clamp(now_ns);
  if (state_ == DriverState::kStopped || state_ == DriverState::kBackoff) {
    state_ = DriverState::kRunning;
    started_at_ = now_ns;
  }
}

uint32_t RestartTracker::RestartsInWindow(uint64_t now_ns) const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < ring_count_; ++i) {
    if (now_ns - restarts_[i] < policy_.window_ns) {
      ++n;
    }
  }
  return n;
}

uint64_t RestartTracker::Backoff() const {
  if (immediate_first_ && consecutive_ <= 1) {
    return 0;  // the first failure (since a stable run) restarts at once
  }
  uint64_t delay = policy_.backoff_initial_ns;
  for (uint32_t i = immediate_first_ ? 2 : 1; i < consecutive_ && delay < policy_.backoff_max_ns;
       ++i) {
    delay = delay > policy_.backoff_max_ns / 2 ? policy_.backoff_max_ns : delay * 2;
  }
  return delay < policy_.backoff_max_ns ? delay : policy_.backoff_max_ns;
}

RestartDecision RestartTracker::OnFailure(uint64_t now_ns, FailureReason reason) {
  now_ns = Clamp(now_ns);
  if (state_ != DriverState::kRunning) {
    return RestartDecision{state_, 0};
  }
  last_reason_ = reason;
  if (now_ns - started_at_ >= policy_.stable_ns) {
    consecutive_ = 0;
    ring_count_ = 0;
    ring_next_ = 0;
  }
  ++consecutive_;
  if (RestartsInWindow(now_ns) >= policy_.max_restarts) {
    state_ = DriverState::kFailed;
    return RestartDecision{state_, 0};
  }
  restarts_[ring_next_] = now_ns;
  ring_next_ = (ring_next_ + 1) % kMaxTrackedRestarts;
  if (ring_count_ < kMaxTrackedRestarts) {
    ++ring_count_;
  }
  ++total_restarts_;
  state_ = DriverState::kBackoff;
  return RestartDecision{state_, Backoff()};
}

}  // namespace dm
