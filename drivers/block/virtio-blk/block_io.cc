// Client transfers as multi-segment device requests; see block_io.h.
#include "drivers/block/virtio-blk/block_io.h"

#include <stdlib.h>

namespace mica::virtio {

uint64_t BuildDataSegments(const PinnedVmo& vmo, uint64_t offset, uint64_t len,
                           uint32_t max_segments, uint32_t size_max, bool device_writes,
                           Segment* out, size_t* count) {
  *count = 0;
  if (offset > vmo.size || len > vmo.size - offset || max_segments == 0) {
    return 0;
  }
  // A segment's length is 32 bits (§2.7.5); keep whole sectors in it.
  const uint64_t cap = size_max != 0 ? size_max : UINT32_MAX - (UINT32_MAX % kSectorSize);
  // The request's total stays below 2^32 too (used.len counts it, §2.7.8).
  const uint64_t limit = UINT32_MAX - (UINT32_MAX % kSectorSize);
  len = len < limit ? len : limit;
  size_t n = 0;
  uint64_t covered = 0;
  while (covered < len) {
    const uint64_t pos = offset + covered;
    const uint64_t in_page = pos % kPinPageSize;
    const uint64_t addr = vmo.pages[pos / kPinPageSize] + in_page;
    uint64_t chunk = kPinPageSize - in_page;
    chunk = chunk < len - covered ? chunk : len - covered;
    if (n > 0 && out[n - 1].addr + out[n - 1].len == addr && out[n - 1].len < cap) {
      const uint64_t room = cap - out[n - 1].len;
      chunk = chunk < room ? chunk : room;
      out[n - 1].len += static_cast<uint32_t>(chunk);
    } else if (n < max_segments) {
      chunk = chunk < cap ? chunk : cap;
      out[n++] = Segment{addr, static_cast<uint32_t>(chunk), device_writes};
    } else {
      break;
    }
    covered += chunk;
  }
  // End on a sector: give back the tail (an unaligned offset cuts pages
  // mid-sector; the next request starts there).
  uint64_t excess = covered % kSectorSize;
  covered -= excess;
  while (excess > 0 && n > 0) {
    const uint64_t cut = excess < out[n - 1].len ? excess : out[n - 1].len;
    out[n - 1].len -= static_cast<uint32_t>(cut);
    excess -= cut;
    if (out[n - 1].len == 0) {
      n--;
    }
  }
  *count = covered == 0 ? 0 : n;
  return covered;
}

BlockIo::~BlockIo() {
  free(segments_);
}

bool BlockIo::Begin(const Transfer& t, Status* result) {
  if (active_) {
    *result = Status::kBadState;
    return true;
  }
  const uint64_t sectors = t.bytes / kSectorSize;
  Status refused = Status::kOk;
  if (t.vmo == nullptr || t.bytes == 0 || t.bytes % kSectorSize != 0 ||
      t.vmo_offset > t.vmo->size || t.bytes > t.vmo->size - t.vmo_offset ||
      t.sector > blk_.capacity() || sectors > blk_.capacity() - t.sector) {
    refused = Status::kInvalidArgs;
  } else if (t.write && blk_.read_only()) {
    refused = Status::kReadOnly;
  } else if (blk_.max_data_segments() == 0) {
    refused = Status::kBadState;
  }
  if (refused != Status::kOk) {
    *result = refused;
    return true;
  }
  if (segment_room_ < blk_.max_data_segments()) {
    free(segments_);
    segment_room_ = 0;
    segments_ = static_cast<Segment*>(calloc(blk_.max_data_segments(), sizeof(Segment)));
    if (segments_ == nullptr) {
      *result = Status::kNoResources;
      return true;
    }
    segment_room_ = blk_.max_data_segments();
  }
  t_ = t;
  active_ = true;
  queued_bytes_ = 0;
  in_flight_ = 0;
  failed_ = Status::kOk;
  Pump();
  return Over(result);
}

void BlockIo::Pump() {
  bool queued = false;
  while (failed_ == Status::kOk && queued_bytes_ < t_.bytes) {
    size_t n = 0;
    const uint64_t bytes =
        BuildDataSegments(*t_.vmo, t_.vmo_offset + queued_bytes_, t_.bytes - queued_bytes_,
                          blk_.max_data_segments(), blk_.size_max(), !t_.write, segments_, &n);
    if (bytes == 0) {
      failed_ = Status::kInvalidArgs;  // size_max below a sector
      break;
    }
    const uint64_t sector = t_.sector + queued_bytes_ / kSectorSize;
    const Status s = t_.write ? blk_.QueueWriteSegments(sector, segments_, n, kCookie)
                              : blk_.QueueReadSegments(sector, segments_, n, kCookie);
    if (s == Status::kNoResources && in_flight_ > 0) {
      break;  // the queue is full: the next completion makes room
    }
    if (s != Status::kOk) {
      failed_ = s;
      break;
    }
    queued = true;
    queued_bytes_ += bytes;
    in_flight_++;
    requests_++;
  }
  if (queued) {
    blk_.Kick();
  }
}

bool BlockIo::Over(Status* result) {
  if (in_flight_ > 0 || (failed_ == Status::kOk && queued_bytes_ < t_.bytes)) {
    return false;
  }
  active_ = false;
  *result = failed_;
  return true;
}

bool BlockIo::Complete(Status status, Status* result) {
  if (!active_ || in_flight_ == 0) {
    return false;  // not ours (the owner routes by cookie)
  }
  in_flight_--;
  if (status != Status::kOk && failed_ == Status::kOk) {
    failed_ = status;
  }
  Pump();
  return Over(result);
}

}  // namespace mica::virtio
