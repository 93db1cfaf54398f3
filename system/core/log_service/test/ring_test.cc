// The log ring (ring.h): every contract clause against a model (a deque
// of whole records with the same byte accounting), under ASan/UBSan.
#include "system/core/log_service/ring.h"

#include "system/core/log_service/record.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace log_service {
namespace {

struct Owned {
  int64_t time = 0;
  Severity severity = Severity::kInfo;
  uint32_t flags = 0;
  uint64_t pid = 0;
  uint64_t tid = 0;
  std::string moniker;
  std::string tag;
  std::string message;
  std::vector<std::pair<std::string, std::string>> pairs;

  RecordView View() const {
    RecordView v;
    v.time = time;
    v.severity = severity;
    v.flags = flags;
    v.pid = pid;
    v.tid = tid;
    v.moniker = moniker;
    v.tag = tag;
    v.message = message;
    v.pair_count = pairs.size();
    for (size_t i = 0; i < pairs.size() && i < kMaxPairs; i++) {
      v.pairs[i] = {pairs[i].first, pairs[i].second};
    }
    return v;
  }
};

void ExpectSame(const Owned& want, const RecordView& got) {
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.severity, want.severity);
  EXPECT_EQ(got.flags, want.flags);
  EXPECT_EQ(got.pid, want.pid);
  EXPECT_EQ(got.tid, want.tid);
  EXPECT_EQ(got.moniker, want.moniker);
  EXPECT_EQ(got.tag, want.tag);
  EXPECT_EQ(got.message, want.message);
  ASSERT_EQ(got.pair_count, want.pairs.size());
  for (size_t i = 0; i < want.pairs.size(); i++) {
    EXPECT_EQ(got.pairs[i].key, want.pairs[i].first);
    EXPECT_EQ(got.pairs[i].value, want.pairs[i].second);
  }
}

Owned Random(std::mt19937_64& rng, uint64_t n) {
  auto len = [&rng](size_t max) { return static_cast<size_t>(rng() % (max + 1)); };
  Owned o;
  o.time = static_cast<int64_t>(n * 1000 + rng() % 1000);
  o.severity = static_cast<Severity>(1 + rng() % 6);
  o.pid = rng();
  o.tid = rng();
  static const char* kMonikers[] = {"kernel", "a", "a/b", "a/bc", "ab", "core/net/dhcp"};
  static const char* kTags[] = {"", "net", "disk", "x"};
  o.moniker = kMonikers[rng() % 6];
  o.tag = kTags[rng() % 4];
  o.message.assign(len(rng() % 8 == 0 ? kMaxMessage : 40), 'm');
  for (char& c : o.message) {
    c = static_cast<char>('a' + rng() % 26);
  }
  size_t np = len(kMaxPairs);
  for (size_t i = 0; i < np; i++) {
    o.pairs.emplace_back(std::string(1 + len(kMaxKey - 1), 'k'), std::string(len(kMaxValue), 'v'));
  }
  return o;
}

TEST(LogRing, EmptyRing) {
  Ring ring(4096);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring.capacity(), 4096u);
  EXPECT_EQ(ring.count(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
  RecordView v;
  EXPECT_FALSE(ring.Get(0, &v));
  Ring::Cursor c;
  uint64_t dropped = 0;
  EXPECT_FALSE(ring.ReadNext(&c, &v, &dropped));
  EXPECT_EQ(dropped, 0u);
}

TEST(LogRing, CapacityRounding) {
  EXPECT_EQ(Ring(1).capacity(), Ring::kMinCapacity);
  EXPECT_EQ(Ring(1001).capacity(), 1000u);
  EXPECT_EQ(Ring(65536).capacity(), 65536u);
}

TEST(LogRing, RoundTripEveryField) {
  Ring ring(65536);
  Owned o;
  o.time = 123456789012;
  o.severity = Severity::kWarn;
  o.flags = kFlagPidClaimed;
  o.pid = 0x1122334455667788;
  o.tid = 42;
  o.moniker = "core/net";
  o.tag = "dhcp";
  o.message = "lease renewed \xc3\xa9";
  o.pairs = {{"ip", "10.0.2.15"}, {"ttl", "3600"}, {"empty", ""}};
  EXPECT_EQ(ring.Append(o.View()), 0u);
  EXPECT_EQ(ring.Append(o.View()), 1u);
  RecordView v;
  ASSERT_TRUE(ring.Get(1, &v));
  EXPECT_EQ(v.sequence, 1u);
  ExpectSame(o, v);
  EXPECT_EQ(ring.bytes(), 2 * Ring::RecordCost(o.View()));
  EXPECT_EQ(ring.bytes() % 8, 0u);
}

// The model: the ring must hold exactly the newest records whose costs sum
// to at most the capacity (minus what the wrap wastes), evicting oldest
// first. Checked against a deque for many sizes and record mixes.
TEST(LogRing, WraparoundMatchesModel) {
  for (size_t cap : {256u, 264u, 1000u, 1480u, 1488u, 4096u, 65536u}) {
    for (uint64_t seed = 1; seed <= 6; seed++) {
      std::mt19937_64 rng(seed * 7919 + cap);
      Ring ring(cap);
      std::deque<std::pair<uint64_t, Owned>> model;
      size_t model_bytes = 0;
      uint64_t evicted = 0;
      for (uint64_t n = 0; n < 3000; n++) {
        Owned o = Random(rng, n);
        size_t cost = Ring::RecordCost(o.View());
        if (cost > ring.capacity()) {
          continue;  // giant records: their own test
        }
        uint64_t evicted_before = ring.evicted();
        uint64_t seq = ring.Append(o.View());
        ASSERT_EQ(seq, model.empty() ? evicted : model.back().first + 1);
        model.emplace_back(seq, o);
        model_bytes += cost;
        // Evictions happen only from the front and only when needed: the
        // bytes held never exceed the capacity, and the ring holds no
        // fewer than the newest records that fit in half of it.
        while (model.size() > ring.count()) {
          model_bytes -= Ring::RecordCost(model.front().second.View());
          model.pop_front();
          evicted++;
        }
        ASSERT_EQ(ring.count(), model.size());
        ASSERT_EQ(ring.bytes(), model_bytes);
        ASSERT_LE(ring.bytes(), ring.capacity());
        ASSERT_EQ(ring.evicted(), evicted);
        ASSERT_EQ(ring.dropped(), evicted);
        ASSERT_EQ(ring.first_sequence(), model.front().first);
        ASSERT_EQ(ring.next_sequence(), model.back().first + 1);
        // No needless eviction: the last one happened because the held
        // bytes, the unused end before the wrap (< one record) and the new
        // record exceeded the capacity, so what is held now is more than
        // the capacity minus two of the largest records.
        if (ring.evicted() != evicted_before && ring.capacity() > 2 * 1480) {
          ASSERT_GT(ring.bytes(), ring.capacity() - 2 * 1480) << "cap " << cap;
        }
      }
      for (auto& [seq, o] : model) {
        RecordView v;
        ASSERT_TRUE(ring.Get(seq, &v));
        EXPECT_EQ(v.sequence, seq);
        ExpectSame(o, v);
      }
      RecordView v;
      EXPECT_FALSE(ring.Get(ring.first_sequence() - 1, &v));
      EXPECT_FALSE(ring.Get(ring.next_sequence(), &v));
    }
  }
}

// Small equal records fill the ring completely before the first eviction.
TEST(LogRing, EqualRecordsUseTheWholeCapacity) {
  Owned o;
  o.moniker = "m";
  o.message = "0123456789abcde";  // 48 + 1 + 15 = 64 bytes
  Ring ring(64 * 10);
  ASSERT_EQ(Ring::RecordCost(o.View()), 64u);
  for (int i = 0; i < 10; i++) {
    ring.Append(o.View());
  }
  EXPECT_EQ(ring.count(), 10u);
  EXPECT_EQ(ring.evicted(), 0u);
  EXPECT_EQ(ring.bytes(), 640u);
  for (int i = 0; i < 95; i++) {
    ring.Append(o.View());
    EXPECT_EQ(ring.count(), 10u);
    EXPECT_EQ(ring.evicted(), static_cast<uint64_t>(i + 1));
  }
}

TEST(LogRing, LimitsCutStringsAtCharacterBoundaries) {
  Ring ring(65536);
  Owned o;
  o.moniker = std::string(kMaxMoniker + 5, 'm');
  o.tag = std::string(kMaxTag + 1, 't');
  // 'é' is two bytes: cutting at kMaxMessage would split one.
  o.message = std::string(1, 'x');
  while (o.message.size() < kMaxMessage + 20) {
    o.message += "\xc3\xa9";
  }
  for (size_t i = 0; i < kMaxPairs + 3; i++) {
    o.pairs.emplace_back(std::string(kMaxKey + 2, 'k'), std::string(kMaxValue + 9, 'v'));
  }
  ring.Append(o.View());
  RecordView v;
  ASSERT_TRUE(ring.Get(0, &v));
  EXPECT_EQ(v.moniker.size(), kMaxMoniker);
  EXPECT_EQ(v.tag.size(), kMaxTag);
  EXPECT_LE(v.message.size(), kMaxMessage);
  EXPECT_GE(v.message.size(), kMaxMessage - 1);
  EXPECT_NE(static_cast<uint8_t>(v.message.back()), 0xc3);  // not a lead byte
  EXPECT_EQ(v.pair_count, kMaxPairs);
  EXPECT_EQ(v.pairs[0].key.size(), kMaxKey);
  EXPECT_EQ(v.pairs[7].value.size(), kMaxValue);
  EXPECT_TRUE(v.flags & kFlagTruncated);
  // A record within the limits is not flagged.
  Owned small;
  small.message = "fine";
  ring.Append(small.View());
  ASSERT_TRUE(ring.Get(1, &v));
  EXPECT_FALSE(v.flags & kFlagTruncated);
}

// A record larger than the whole ring: its message, then its pairs are cut
// until it fits; everything else is evicted; it is still readable.
TEST(LogRing, GiantRecords) {
  for (size_t cap : {256u, 300u, 512u, 1024u}) {
    Ring ring(cap);
    Owned small;
    small.moniker = "s";
    small.message = "x";
    for (int i = 0; i < 3; i++) {
      ring.Append(small.View());
    }
    Owned giant;
    giant.moniker = std::string(kMaxMoniker, 'g');
    giant.tag = std::string(kMaxTag, 't');
    giant.message = std::string(kMaxMessage, 'M');
    for (size_t i = 0; i < kMaxPairs; i++) {
      giant.pairs.emplace_back(std::string(kMaxKey, 'k'), std::string(kMaxValue, 'v'));
    }
    ASSERT_GT(Ring::RecordCost(giant.View()), ring.capacity());
    uint64_t seq = ring.Append(giant.View());
    EXPECT_EQ(seq, 3u);
    EXPECT_EQ(ring.count(), 1u);
    EXPECT_EQ(ring.evicted(), 3u);
    EXPECT_LE(ring.bytes(), ring.capacity());
    RecordView v;
    ASSERT_TRUE(ring.Get(seq, &v));
    EXPECT_TRUE(v.flags & kFlagTruncated);
    EXPECT_EQ(v.moniker, giant.moniker);
    EXPECT_EQ(v.tag, giant.tag);
    EXPECT_EQ(std::string(v.message), giant.message.substr(0, v.message.size()));
    // Then normal records evict the giant one.
    for (int i = 0; i < 20; i++) {
      ring.Append(small.View());
    }
    EXPECT_FALSE(ring.Get(seq, &v));
    EXPECT_LE(ring.bytes(), ring.capacity());
  }
}

// Giant and normal records mixed in rings around one record's size: after
// every append the held records are exactly the newest ones, intact (a cut
// one is a prefix of what was written, flagged), and their costs sum to
// bytes() <= capacity().
TEST(LogRing, MixedGiantAndNormalRecords) {
  for (size_t cap : {256u, 512u, 1488u, 2048u, 3000u}) {
    std::mt19937_64 rng(cap);
    Ring ring(cap);
    std::vector<Owned> all;
    for (uint64_t n = 0; n < 1500; n++) {
      Owned o = Random(rng, n);
      if (rng() % 5 == 0) {
        o.message.assign(kMaxMessage + rng() % 100, 'G');
        o.moniker = std::string(kMaxMoniker, 'M');
        o.pairs.assign(kMaxPairs, {std::string(kMaxKey, 'k'), std::string(kMaxValue, 'v')});
      }
      ASSERT_EQ(ring.Append(o.View()), n);
      all.push_back(o);
      ASSERT_LE(ring.bytes(), ring.capacity());
      ASSERT_EQ(ring.next_sequence(), n + 1);
      ASSERT_GE(ring.count(), 1u);
      ASSERT_EQ(ring.evicted(), ring.first_sequence());
      size_t sum = 0;
      for (uint64_t seq = ring.first_sequence(); seq < ring.next_sequence(); seq++) {
        RecordView v;
        ASSERT_TRUE(ring.Get(seq, &v));
        const Owned& w = all[seq];
        EXPECT_EQ(v.sequence, seq);
        EXPECT_EQ(v.moniker, std::string_view(w.moniker).substr(0, kMaxMoniker));
        EXPECT_EQ(v.time, w.time);
        EXPECT_EQ(v.pid, w.pid);
        ASSERT_LE(v.message.size(), w.message.size());
        EXPECT_EQ(v.message, std::string_view(w.message).substr(0, v.message.size()));
        bool cut = v.message.size() != w.message.size() || v.pair_count != w.pairs.size();
        EXPECT_EQ(cut, (v.flags & kFlagTruncated) != 0) << "seq " << seq << " cap " << cap;
        sum += Ring::RecordCost(v);
      }
      ASSERT_EQ(sum, ring.bytes());
    }
  }
}

TEST(LogRing, FilterSeverityTagMoniker) {
  auto rec = [](std::string_view moniker, std::string_view tag, Severity s) {
    RecordView r;
    r.moniker = moniker;
    r.tag = tag;
    r.severity = s;
    return r;
  };
  Filter f;
  EXPECT_TRUE(f.Matches(rec("x", "", Severity::kTrace)));
  f.min_severity = Severity::kWarn;
  EXPECT_FALSE(f.Matches(rec("x", "", Severity::kInfo)));
  EXPECT_TRUE(f.Matches(rec("x", "", Severity::kWarn)));
  EXPECT_TRUE(f.Matches(rec("x", "", Severity::kFatal)));
  f = Filter();
  f.tag = "net";
  EXPECT_TRUE(f.Matches(rec("x", "net", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("x", "ne", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("x", "netx", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("x", "", Severity::kInfo)));
  f = Filter();
  f.moniker = "core/net";
  EXPECT_TRUE(f.Matches(rec("core/net", "", Severity::kInfo)));
  EXPECT_TRUE(f.Matches(rec("core/net/dhcp", "", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("core/network", "", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("core/ne", "", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("core", "", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("", "", Severity::kInfo)));
  f.moniker = "core/";
  EXPECT_TRUE(f.Matches(rec("core/net", "", Severity::kInfo)));
  EXPECT_FALSE(f.Matches(rec("core", "", Severity::kInfo)));
}

// Readers with random filters over a random stream, some reading eagerly,
// some falling behind: each sees exactly the matching records it did not
// miss, in order, and its drop count is exactly what it missed.
TEST(LogRing, ManyReadersWithFiltersAndOverruns) {
  std::mt19937_64 rng(99);
  Ring ring(2048);
  struct Reader {
    Ring::Cursor cursor;
    uint64_t dropped = 0;
    int pace = 1;  // reads every `pace` appends
    std::string mon, tag;
  };
  std::vector<Reader> readers(24);
  const char* monikers[] = {"", "a", "a/b", "ab", "kernel"};
  const char* tags[] = {"", "net", "x"};
  for (size_t i = 0; i < readers.size(); i++) {
    Reader& r = readers[i];
    r.mon = monikers[i % 5];
    r.tag = tags[i % 3];
    r.cursor.filter.moniker = r.mon;
    r.cursor.filter.tag = r.tag;
    r.cursor.filter.min_severity = static_cast<Severity>(1 + i % 6);
    r.pace = 1 + static_cast<int>(i % 4) * 13;
  }
  std::vector<Owned> all;
  for (uint64_t n = 0; n < 4000; n++) {
    Owned o = Random(rng, n);
    o.message.resize(o.message.size() % 60);
    ASSERT_EQ(ring.Append(o.View()), n);
    all.push_back(o);
    for (Reader& r : readers) {
      if (n % r.pace != 0 && n != 3999) {
        continue;
      }
      RecordView v;
      uint64_t before = r.dropped;
      uint64_t from = r.cursor.next;
      // Exactly the records evicted past the cursor count as dropped.
      uint64_t expect_dropped = from < ring.first_sequence() ? ring.first_sequence() - from : 0;
      while (ring.ReadNext(&r.cursor, &v, &r.dropped)) {
        // Everything between the previous position and this record either
        // was evicted (counted once) or did not match.
        uint64_t start = from < ring.first_sequence() ? ring.first_sequence() : from;
        for (uint64_t s = start; s < v.sequence; s++) {
          ASSERT_FALSE(r.cursor.filter.Matches(all[s].View())) << s;
        }
        ASSERT_TRUE(r.cursor.filter.Matches(v));
        ExpectSame(all[v.sequence], v);
        from = v.sequence + 1;
      }
      for (uint64_t s = from; s < ring.next_sequence(); s++) {
        if (s >= ring.first_sequence()) {
          ASSERT_FALSE(r.cursor.filter.Matches(all[s].View())) << s;
        }
      }
      ASSERT_EQ(r.cursor.next, ring.next_sequence());
      ASSERT_EQ(r.dropped - before, expect_dropped);
    }
  }
  // Eager readers (pace 1) never miss anything with this ring size;
  // slow ones must have been overrun at least once.
  for (Reader& r : readers) {
    if (r.pace == 1) {
      EXPECT_EQ(r.dropped, 0u);
    } else if (r.pace >= 27) {
      EXPECT_GT(r.dropped, 0u);
    }
    EXPECT_LE(r.dropped, ring.evicted());
  }
}

// Exact drop accounting: a cursor that stops reading is told precisely how
// many records were evicted past it.
TEST(LogRing, OverrunCountIsExact) {
  Owned o;
  o.moniker = "m";
  o.message = "0123456789abcde";  // 64 bytes
  Ring ring(64 * 8);
  Ring::Cursor c;
  for (int i = 0; i < 5; i++) {
    ring.Append(o.View());
  }
  RecordView v;
  uint64_t dropped = 0;
  ASSERT_TRUE(ring.ReadNext(&c, &v, &dropped));
  ASSERT_TRUE(ring.ReadNext(&c, &v, &dropped));
  EXPECT_EQ(c.next, 2u);
  for (int i = 0; i < 30; i++) {
    ring.Append(o.View());
  }
  // Held: 27..34; the cursor was at 2: 25 records evicted before it got
  // to them.
  EXPECT_EQ(ring.first_sequence(), 27u);
  ASSERT_TRUE(ring.ReadNext(&c, &v, &dropped));
  EXPECT_EQ(dropped, 25u);
  EXPECT_EQ(v.sequence, 27u);
  // Reading on reports nothing more.
  while (ring.ReadNext(&c, &v, &dropped)) {
  }
  EXPECT_EQ(dropped, 25u);
  EXPECT_EQ(c.next, 35u);
}

TEST(LogRing, ExternalDropsAreCounted) {
  Ring ring(1024);
  ring.AddExternalDrops(7);
  EXPECT_EQ(ring.dropped(), 7u);
  EXPECT_EQ(ring.evicted(), 0u);
}

TEST(LogRing, SeverityNamesAndParsing) {
  const char* names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  for (int i = 1; i <= 6; i++) {
    EXPECT_STREQ(SeverityName(static_cast<Severity>(i)), names[i - 1]);
    Severity s;
    ASSERT_TRUE(ParseSeverity(names[i - 1], &s));
    EXPECT_EQ(static_cast<int>(s), i);
    std::string lower(names[i - 1]);
    for (char& c : lower) {
      c = static_cast<char>(c - 'A' + 'a');
    }
    ASSERT_TRUE(ParseSeverity(lower, &s));
    EXPECT_EQ(static_cast<int>(s), i);
    char digit[2] = {static_cast<char>('0' + i), 0};
    ASSERT_TRUE(ParseSeverity(digit, &s));
    EXPECT_EQ(static_cast<int>(s), i);
  }
  Severity s;
  for (const char* bad : {"", "0", "7", "INF", "INFOO", "warning", "10"}) {
    EXPECT_FALSE(ParseSeverity(bad, &s)) << bad;
  }
  EXPECT_STREQ(SeverityName(static_cast<Severity>(0)), "?");
}

TEST(LogRing, ConsoleLineFormat) {
  Owned o;
  o.time = 12'345'678'901;
  o.severity = Severity::kWarn;
  o.moniker = "core/net";
  o.tag = "dhcp";
  o.message = "no lease\nretrying";
  o.pairs = {{"tries", "3"}, {"iface", "eth 0"}, {"e", ""}};
  char line[256];
  size_t n = FormatLine(o.View(), line, sizeof(line));
  EXPECT_STREQ(line,
               "[12.345] core/net[dhcp] WARN: no lease retrying tries=3 iface=\"eth 0\" e=\"\"");
  EXPECT_EQ(n, strlen(line));
  o.tag = "";
  o.pairs.clear();
  o.time = 5'000'000;
  FormatLine(o.View(), line, sizeof(line));
  EXPECT_STREQ(line, "[0.005] core/net WARN: no lease retrying");
  // Cut to the buffer, always terminated.
  for (size_t cap = 1; cap < 40; cap++) {
    char small[40];
    memset(small, 'Z', sizeof(small));
    size_t len = FormatLine(o.View(), small, cap);
    EXPECT_EQ(len, cap - 1);
    EXPECT_EQ(small[cap - 1], '\0');
    EXPECT_EQ(strncmp(small, "[0.005] core/net WARN: no lease retrying", cap - 1), 0);
  }
  EXPECT_EQ(FormatLine(o.View(), line, 0), 0u);
}

// record.h: the wire record and the view, both ways; what a reader prints
// is what was stored.
TEST(LogRecord, IdlRoundTrip) {
  Owned o;
  o.time = 7'000'123'456;
  o.severity = Severity::kError;
  o.flags = 0xffu;  // only the IDL's flags travel
  o.pid = 1234;
  o.tid = 5678;
  o.moniker = "/run:echo-client-1";
  o.tag = "echo";
  o.message = "cannot open echo.Echo";
  o.pairs = {{"status", "NOT_FOUND"}, {"k", ""}};
  RecordView v = o.View();
  v.sequence = 42;
  static idl::log::Record r;
  ToIdl(v, &r);
  RecordView back = FromIdl(r);
  EXPECT_EQ(back.sequence, 42u);
  EXPECT_EQ(back.time, o.time);
  EXPECT_EQ(back.severity, o.severity);
  EXPECT_EQ(back.flags, idl::log::kRecordFlagsMask);
  EXPECT_EQ(back.pid, o.pid);
  EXPECT_EQ(back.tid, o.tid);
  EXPECT_EQ(back.moniker, o.moniker);
  EXPECT_EQ(back.tag, o.tag);
  EXPECT_EQ(back.message, o.message);
  ASSERT_EQ(back.pair_count, 2u);
  EXPECT_EQ(back.pairs[0].key, "status");
  EXPECT_EQ(back.pairs[0].value, "NOT_FOUND");
  EXPECT_EQ(back.pairs[1].key, "k");
  EXPECT_EQ(back.pairs[1].value, "");
  char a[256], b[256];
  v.flags &= idl::log::kRecordFlagsMask;
  FormatLine(v, a, sizeof(a));
  FormatLine(back, b, sizeof(b));
  EXPECT_STREQ(a, b);
  // Kernel text that is not UTF-8: bad bytes become '?'.
  o.message = std::string("ok \xff\xfe end");
  ToIdl(o.View(), &r);
  EXPECT_EQ(FromIdl(r).message, "ok ?? end");
}

}  // namespace
}  // namespace log_service
