#include "system/core/log_service/ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace log_service {

namespace {

// A stored record (all fields little-endian, copied with memcpy):
//   0 u32 size (bytes this record occupies, a multiple of 8)
//   4 u8 severity, 5 u8 pair count, 6 u16 moniker length
//   8 u32 flags, 12 u16 tag length, 14 u16 message length
//  16 u64 sequence, 24 i64 time, 32 u64 pid, 40 u64 tid
//  48 moniker, tag, message, then per pair: u8 key length, u8 value
//     length, key, value.
constexpr size_t kAlign = 8;

size_t AlignUp(size_t n) {
  return (n + kAlign - 1) & ~(kAlign - 1);
}

// s cut to at most max bytes, not in the middle of a UTF-8 sequence.
std::string_view Cut(std::string_view s, size_t max) {
  if (s.size() <= max) {
    return s;
  }
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) {
    n--;
  }
  return s.substr(0, n);
}

// r with every string cut to its limit; sets kFlagTruncated if anything was.
RecordView Limited(const RecordView& r) {
  RecordView v = r;
  v.moniker = Cut(r.moniker, kMaxMoniker);
  v.tag = Cut(r.tag, kMaxTag);
  v.message = Cut(r.message, kMaxMessage);
  v.pair_count = r.pair_count < kMaxPairs ? r.pair_count : kMaxPairs;
  bool cut = v.moniker.size() != r.moniker.size() || v.tag.size() != r.tag.size() ||
             v.message.size() != r.message.size() || v.pair_count != r.pair_count;
  for (size_t i = 0; i < v.pair_count; i++) {
    v.pairs[i].key = Cut(r.pairs[i].key, kMaxKey);
    v.pairs[i].value = Cut(r.pairs[i].value, kMaxValue);
    cut = cut || v.pairs[i].key.size() != r.pairs[i].key.size() ||
          v.pairs[i].value.size() != r.pairs[i].value.size();
  }
  if (cut) {
    v.flags |= kFlagTruncated;
  }
  return v;
}

size_t CostOfLimited(const RecordView& v) {
  size_t n = Ring::kHeaderSize + v.moniker.size() + v.tag.size() + v.message.size();
  for (size_t i = 0; i < v.pair_count; i++) {
    n += 2 + v.pairs[i].key.size() + v.pairs[i].value.size();
  }
  return AlignUp(n);
}

template <typename T>
void Put(uint8_t* p, T v) {
  memcpy(p, &v, sizeof(v));
}
template <typename T>
T Take(const uint8_t* p) {
  T v;
  memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

bool Filter::Matches(const RecordView& r) const {
  if (r.severity < min_severity) {
    return false;
  }
  if (!tag.empty() && r.tag != tag) {
    return false;
  }
  if (!moniker.empty()) {
    if (r.moniker.size() < moniker.size() || r.moniker.substr(0, moniker.size()) != moniker) {
      return false;
    }
    if (r.moniker.size() != moniker.size() && moniker.back() != '/' &&
        r.moniker[moniker.size()] != '/') {
      return false;
    }
  }
  return true;
}

Ring::Ring(size_t capacity) {
  cap_ = capacity & ~(kAlign - 1);
  if (cap_ < kMinCapacity) {
    cap_ = kMinCapacity;
  }
  // Every record costs at least kHeaderSize, so at most cap_ / kHeaderSize
  // are held at once.
  index_cap_ = cap_ / kHeaderSize + 1;
  buf_ = static_cast<uint8_t*>(malloc(cap_));
  index_ = static_cast<uint32_t*>(calloc(index_cap_, sizeof(uint32_t)));
  if (buf_ == nullptr || index_ == nullptr) {
    free(buf_);
    free(index_);
    buf_ = nullptr;
    index_ = nullptr;
  }
}

Ring::~Ring() {
  free(buf_);
  free(index_);
}

size_t Ring::RecordCost(const RecordView& r) {
  return CostOfLimited(Limited(r));
}

void Ring::EvictOldest() {
  size_t size = Take<uint32_t>(buf_ + OffsetOf(first_seq_));
  used_ -= size;
  first_seq_++;
  evicted_++;
  dropped_++;
}

void Ring::MakeRoom(size_t size) {
  // The held records occupy [tail, head_) if head_ > tail, else
  // [tail, end of the last record before the wrap) and [0, head_); a record
  // never wraps (the bytes after the last one before the wrap are unused).
  for (;;) {
    if (first_seq_ == next_seq_) {
      head_ = 0;
      return;
    }
    size_t tail = OffsetOf(first_seq_);
    if (head_ > tail) {
      if (cap_ - head_ >= size) {
        return;
      }
      if (tail >= size) {
        head_ = 0;
        return;
      }
    } else if (tail - head_ >= size) {
      return;
    }
    EvictOldest();
  }
}

uint64_t Ring::Append(const RecordView& in) {
  RecordView r = Limited(in);
  size_t size = CostOfLimited(r);
  if (size > cap_) {
    // Cut the message, then drop pairs from the end, until it fits (the
    // header, moniker and tag always fit: kMinCapacity).
    size_t over = size - cap_;
    r.message = Cut(r.message, r.message.size() > over ? r.message.size() - over : 0);
    r.flags |= kFlagTruncated;
    while (CostOfLimited(r) > cap_ && !r.message.empty()) {
      r.message = Cut(r.message, r.message.size() - 1);  // the 8-byte rounding
    }
    while (CostOfLimited(r) > cap_ && r.pair_count > 0) {
      r.pair_count--;
    }
    size = CostOfLimited(r);
  }
  MakeRoom(size);
  uint8_t* p = buf_ + head_;
  uint64_t seq = next_seq_;
  Put<uint32_t>(p, static_cast<uint32_t>(size));
  p[4] = static_cast<uint8_t>(r.severity);
  p[5] = static_cast<uint8_t>(r.pair_count);
  Put<uint16_t>(p + 6, static_cast<uint16_t>(r.moniker.size()));
  Put<uint32_t>(p + 8, r.flags);
  Put<uint16_t>(p + 12, static_cast<uint16_t>(r.tag.size()));
  Put<uint16_t>(p + 14, static_cast<uint16_t>(r.message.size()));
  Put<uint64_t>(p + 16, seq);
  Put<int64_t>(p + 24, r.time);
  Put<uint64_t>(p + 32, r.pid);
  Put<uint64_t>(p + 40, r.tid);
  uint8_t* q = p + kHeaderSize;
  auto copy = [&q](std::string_view s) {
    if (!s.empty()) {
      memcpy(q, s.data(), s.size());
    }
    q += s.size();
  };
  copy(r.moniker);
  copy(r.tag);
  copy(r.message);
  for (size_t i = 0; i < r.pair_count; i++) {
    *q++ = static_cast<uint8_t>(r.pairs[i].key.size());
    *q++ = static_cast<uint8_t>(r.pairs[i].value.size());
    copy(r.pairs[i].key);
    copy(r.pairs[i].value);
  }
  // Zero the padding so the buffer holds no stale bytes.
  memset(q, 0, static_cast<size_t>(p + size - q));
  index_[seq % index_cap_] = static_cast<uint32_t>(head_);
  head_ += size;
  used_ += size;
  next_seq_++;
  return seq;
}

bool Ring::Get(uint64_t seq, RecordView* out) const {
  if (seq < first_seq_ || seq >= next_seq_) {
    return false;
  }
  const uint8_t* p = buf_ + OffsetOf(seq);
  *out = RecordView();
  out->severity = static_cast<Severity>(p[4]);
  out->pair_count = p[5];
  size_t mlen = Take<uint16_t>(p + 6);
  out->flags = Take<uint32_t>(p + 8);
  size_t tlen = Take<uint16_t>(p + 12);
  size_t slen = Take<uint16_t>(p + 14);
  out->sequence = Take<uint64_t>(p + 16);
  out->time = Take<int64_t>(p + 24);
  out->pid = Take<uint64_t>(p + 32);
  out->tid = Take<uint64_t>(p + 40);
  const char* q = reinterpret_cast<const char*>(p + kHeaderSize);
  out->moniker = std::string_view(q, mlen);
  q += mlen;
  out->tag = std::string_view(q, tlen);
  q += tlen;
  out->message = std::string_view(q, slen);
  q += slen;
  for (size_t i = 0; i < out->pair_count; i++) {
    size_t k = static_cast<uint8_t>(q[0]);
    size_t v = static_cast<uint8_t>(q[1]);
    q += 2;
    out->pairs[i].key = std::string_view(q, k);
    q += k;
    out->pairs[i].value = std::string_view(q, v);
    q += v;
  }
  return true;
}

bool Ring::ReadNext(Cursor* cursor, RecordView* out, uint64_t* dropped) const {
  if (cursor->next < first_seq_) {
    *dropped += first_seq_ - cursor->next;
    cursor->next = first_seq_;
  }
  if (cursor->next > next_seq_) {
    cursor->next = next_seq_;
  }
  while (cursor->next < next_seq_) {
    Get(cursor->next, out);
    cursor->next++;
    if (cursor->filter.Matches(*out)) {
      return true;
    }
  }
  return false;
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kTrace:
      return "TRACE";
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarn:
      return "WARN";
    case Severity::kError:
      return "ERROR";
    case Severity::kFatal:
      return "FATAL";
  }
  return "?";
}

bool ParseSeverity(std::string_view s, Severity* out) {
  if (s.size() == 1 && s[0] >= '1' && s[0] <= '6') {
    *out = static_cast<Severity>(s[0] - '0');
    return true;
  }
  for (int i = 1; i <= 6; i++) {
    const char* name = SeverityName(static_cast<Severity>(i));
    size_t n = strlen(name);
    if (s.size() != n) {
      continue;
    }
    bool same = true;
    for (size_t j = 0; j < n && same; j++) {
      char c = s[j];
      if (c >= 'a' && c <= 'z') {
        c = static_cast<char>(c - 'a' + 'A');
      }
      same = c == name[j];
    }
    if (same) {
      *out = static_cast<Severity>(i);
      return true;
    }
  }
  return false;
}

namespace {

// Appends to a bounded, always NUL-terminated buffer.
struct Line {
  char* out;
  size_t cap;
  size_t len = 0;
  void Add(std::string_view s) {
    for (char c : s) {
      if (len + 1 >= cap) {
        return;
      }
      // One record is one line: control characters become spaces.
      out[len++] = static_cast<uint8_t>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
  }
  void Addf(const char* fmt, long long a, long long b) {
    char tmp[48];
    int n = snprintf(tmp, sizeof(tmp), fmt, a, b);
    if (n > 0) {
      Add(std::string_view(tmp, static_cast<size_t>(n) < sizeof(tmp) ? n : sizeof(tmp) - 1));
    }
  }
};

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) {
    return true;
  }
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=') {
      return true;
    }
  }
  return false;
}

}  // namespace

size_t FormatLine(const RecordView& r, char* out, size_t cap) {
  if (cap == 0) {
    return 0;
  }
  Line l{out, cap};
  int64_t t = r.time < 0 ? 0 : r.time;
  l.Addf("[%lld.%03lld] ", static_cast<long long>(t / 1'000'000'000),
         static_cast<long long>(t / 1'000'000 % 1000));
  l.Add(r.moniker);
  if (!r.tag.empty()) {
    l.Add("[");
    l.Add(r.tag);
    l.Add("]");
  }
  l.Add(" ");
  l.Add(SeverityName(r.severity));
  l.Add(": ");
  l.Add(r.message);
  for (size_t i = 0; i < r.pair_count; i++) {
    l.Add(" ");
    l.Add(r.pairs[i].key);
    l.Add("=");
    if (NeedsQuotes(r.pairs[i].value)) {
      l.Add("\"");
      l.Add(r.pairs[i].value);
      l.Add("\"");
    } else {
      l.Add(r.pairs[i].value);
    }
  }
  out[l.len] = '\0';
  return l.len;
}

}  // namespace log_service
