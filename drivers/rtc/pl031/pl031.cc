#include "drivers/rtc/pl031/pl031.h"

#include "drivers/lib/primecell.h"

namespace mica::drivers::pl031 {

Status Pl031::Init() {
  if (!IsPrimeCell(regs_, kPl031Part)) {
    return Status::kNotFound;
  }
  regs_.Write32(kRtcImsc, 0);
  regs_.Write32(kRtcIcr, kRtcIntr);
  if ((regs_.Read32(kRtcCr) & 1u) == 0) {
    regs_.Write32(kRtcCr, 1u);
  }
  ready_ = true;
  return Status::kOk;
}

Status Pl031::ReadSeconds(uint32_t* seconds) {
  if (!ready_) {
    return Status::kBadState;
  }
  *seconds = regs_.Read32(kRtcDr);
  return Status::kOk;
}

Status Pl031::SetSeconds(uint32_t seconds) {
  if (!ready_) {
    return Status::kBadState;
  }
  regs_.Write32(kRtcLr, seconds);
  return Status::kOk;
}

Status Pl031::ReadTime(rtc::CivilTime* out) {
  uint32_t s = 0;
  Status st = ReadSeconds(&s);
  if (!Ok(st)) {
    return st;
  }
  return rtc::FromSeconds(s, out) ? Status::kOk : Status::kInvalidArgs;
}

Status Pl031::SetTime(const rtc::CivilTime& t) {
  int64_t s = 0;
  if (!rtc::ToSeconds(t, &s) || s < 0 || s > int64_t{UINT32_MAX}) {
    return Status::kInvalidArgs;
  }
  return SetSeconds(static_cast<uint32_t>(s));
}

Status Pl031::SetAlarm(uint32_t at_seconds) {
  if (!ready_) {
    return Status::kBadState;
  }
  // Mask first so a stale match cannot fire between the writes (TRM §3.3.5).
  regs_.Write32(kRtcImsc, 0);
  uint32_t now = regs_.Read32(kRtcDr);
  // Modular distance: a past time would be ~2^32 seconds ahead.
  uint32_t ahead = at_seconds - now;
  if (ahead == 0 || ahead > UINT32_MAX / 2) {
    return Status::kInvalidArgs;
  }
  regs_.Write32(kRtcMr, at_seconds);
  regs_.Write32(kRtcIcr, kRtcIntr);
  regs_.Write32(kRtcImsc, kRtcIntr);
  return Status::kOk;
}

Status Pl031::CancelAlarm() {
  if (!ready_) {
    return Status::kBadState;
  }
  regs_.Write32(kRtcImsc, 0);
  regs_.Write32(kRtcIcr, kRtcIntr);
  return Status::kOk;
}

bool Pl031::OnInterrupt() {
  if (!ready_ || (regs_.Read32(kRtcMis) & kRtcIntr) == 0) {
    return false;
  }
  regs_.Write32(kRtcImsc, 0);
  regs_.Write32(kRtcIcr, kRtcIntr);
  return true;
}

}  // namespace mica::drivers::pl031
