#include "kernel/object/core/handle_table.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/object/core/test/handle_table_test_util.h"

namespace mica::core {
namespace {

TEST_F(HandleTableTest, AddGetRemove) {
  Table table(heap(), 42);
  Entry e = MakeEntry(1, 0x7);
  uint32_t h = 0;
  ASSERT_EQ(table.Add(Move(e), &h), Status::kOk);
  EXPECT_FALSE(e.object);
  EXPECT_NE(h, 0u);
  EXPECT_EQ(table.count(), 1u);

  Entry got;
  ASSERT_EQ(table.Get(h, &got), Status::kOk);
  EXPECT_EQ(got.object->id, 1);
  EXPECT_EQ(got.rights, 0x7u);
  EXPECT_EQ(got.koid, kFirstKoid + 1);
  EXPECT_EQ(got.object->ref_count_debug(), 2);
  got = Entry{};

  Entry removed;
  ASSERT_EQ(table.Remove(h, &removed), Status::kOk);
  EXPECT_EQ(table.count(), 0u);
  EXPECT_EQ(removed.object->ref_count_debug(), 1);
  EXPECT_EQ(table.Get(h, &got), Status::kBadHandle);
  EXPECT_EQ(table.Remove(h, &got), Status::kBadHandle);
  removed = Entry{};
  EXPECT_EQ(g_alive.load(mica::kRelaxed), 0);
}

TEST_F(HandleTableTest, ZeroAndRandomValuesDoNotResolve) {
  Table table(heap(), 7);
  Entry got;
  EXPECT_EQ(table.Get(0, &got), Status::kBadHandle);
  std::mt19937 rng(1);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(table.Get(rng(), &got), Status::kBadHandle);
  }
  uint32_t h;
  ASSERT_EQ(table.Add(MakeEntry(1), &h), Status::kOk);
  EXPECT_EQ(table.Get(0, &got), Status::kBadHandle);
  int resolved = 0;
  for (int i = 0; i < 100000; ++i) {
    uint32_t v = rng();
    if (v != h && table.Get(v, &got) == Status::kOk) {
      ++resolved;
    }
  }
  EXPECT_EQ(resolved, 0) << "only the issued value names the entry";
  EXPECT_EQ(table.Remove(h, &got), Status::kOk);
}

// The codec is a bijection and its inverse is exact.
TEST(HandleCodec, RoundTripsAndIsInjective) {
  for (uint32_t bits : {0u, 1u, 5u, 16u, 24u}) {
    HandleCodec codec(0x1234 + bits, bits);
    std::mt19937 rng(bits);
    std::set<uint32_t> seen;
    for (int i = 0; i < 20000; ++i) {
      uint32_t index = bits == 0 ? 0 : rng() & ((1u << bits) - 1);
      uint32_t gen = rng() & codec.generation_mask();
      uint32_t v = codec.Encode(index, gen);
      uint32_t di, dg;
      codec.Decode(v, &di, &dg);
      ASSERT_EQ(di, index);
      ASSERT_EQ(dg, gen);
    }
    // Consecutive raw words map to distinct, scattered values.
    for (uint32_t raw = 0; raw < 20000; ++raw) {
      uint32_t index = bits == 0 ? 0 : raw & ((1u << bits) - 1);
      uint32_t gen = (raw >> bits) & codec.generation_mask();
      seen.insert(codec.Encode(index, gen));
    }
    EXPECT_EQ(seen.size(), 20000u);
  }
}

// A million add/remove cycles on one slot: every value is new, and every
// value stops resolving as soon as its handle is removed.
TEST_F(HandleTableTest, StaleValuesNeverResolveOnOneSlot) {
  constexpr uint32_t kCapacity = 16;  // 28 generation bits
  Table table(heap(), 0xfeedface, kCapacity);
  ASSERT_EQ(table.generation_bits(), 28u);
  std::vector<uint32_t> pinned;
  for (uint32_t i = 0; i + 1 < kCapacity; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(static_cast<int>(i)), &h), Status::kOk);
    pinned.push_back(h);
  }
  // One slot is free: every cycle below reuses it.
  constexpr int kCycles = 1 << 20;
  std::vector<uint32_t> values;
  values.reserve(kCycles);
  RefPtr<Obj> obj = AdoptRef(new Obj(1000));
  std::mt19937 rng(3);
  for (int i = 0; i < kCycles; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(Entry{obj, 1, 0xff}, &h), Status::kOk);
    ASSERT_NE(h, 0u);
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
    ASSERT_EQ(table.Get(h, &out), Status::kBadHandle);
    if (!values.empty()) {
      // Some earlier value, chosen at random, is still dead.
      uint32_t old = values[rng() % values.size()];
      ASSERT_EQ(table.Get(old, &out), Status::kBadHandle);
    }
    values.push_back(h);
  }
  EXPECT_EQ(table.slots_allocated(), kCapacity);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(std::adjacent_find(values.begin(), values.end()), values.end())
      << "a slot repeated a value within its generation space";
  for (uint32_t h : pinned) {
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
  }
}

// The documented bound is exact: with 8 generation bits one slot yields
// 256 distinct values (255 if one of them is the pair that encodes as 0)
// and then repeats.
TEST_F(HandleTableTest, GenerationSpaceBoundsRepeats) {
  Table table(heap(), 99, Table::kMaxCapacity);
  ASSERT_EQ(table.generation_bits(), 8u);
  // Keep all slots of the first chunk but one live, so one slot cycles.
  std::vector<uint32_t> pinned;
  for (uint32_t i = 0; i + 1 < Table::kChunkSlots; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(static_cast<int>(i)), &h), Status::kOk);
    pinned.push_back(h);
  }
  std::vector<uint32_t> values;
  for (int i = 0; i < 600; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(1000 + i), &h), Status::kOk);
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
    values.push_back(h);
  }
  std::set<uint32_t> distinct(values.begin(), values.end());
  EXPECT_GE(distinct.size(), 255u);
  EXPECT_LE(distinct.size(), 256u);
  // No repeat inside one sweep of the generation space.
  std::set<uint32_t> first(values.begin(), values.begin() + 255);
  EXPECT_EQ(first.size(), 255u);
  EXPECT_EQ(table.slots_allocated(), Table::kChunkSlots);
  for (uint32_t h : pinned) {
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
  }
}

// Free slots are reused oldest first, so with F free slots a value repeats
// only after about F * 2^generation_bits frees.
TEST_F(HandleTableTest, FifoReuseSpreadsGenerations) {
  Table table(heap(), 5, Table::kMaxCapacity);  // 8 generation bits
  constexpr int kFree = 32;
  std::vector<uint32_t> live;
  for (int i = 0; i < kFree; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(i), &h), Status::kOk);
    live.push_back(h);
  }
  for (uint32_t h : live) {
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
  }
  std::set<uint32_t> values(live.begin(), live.end());
  size_t issued = live.size();
  for (int i = 0; i < kFree * 254; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(i), &h), Status::kOk);
    Entry out;
    ASSERT_EQ(table.Remove(h, &out), Status::kOk);
    values.insert(h);
    ++issued;
  }
  EXPECT_EQ(values.size(), issued);
}

TEST_F(HandleTableTest, ValuesAreUselessInAnotherTable) {
  Table a(heap(), 0x1111);
  Table b(heap(), 0x2222);
  Table a_again(heap(), 0x1111);
  std::vector<uint32_t> va, vb, va2;
  for (int i = 0; i < 1000; ++i) {
    uint32_t h;
    ASSERT_EQ(a.Add(MakeEntry(i), &h), Status::kOk);
    va.push_back(h);
    ASSERT_EQ(b.Add(MakeEntry(i), &h), Status::kOk);
    vb.push_back(h);
    ASSERT_EQ(a_again.Add(MakeEntry(i), &h), Status::kOk);
    va2.push_back(h);
  }
  // The same seed gives the same values (the kernel seeds each process with
  // fresh random bits); different seeds give unrelated ones.
  EXPECT_EQ(va, va2);
  int resolved = 0;
  for (uint32_t h : va) {
    Entry out;
    if (b.Get(h, &out) == Status::kOk) {
      ++resolved;
    }
  }
  EXPECT_EQ(resolved, 0);
  std::set<uint32_t> sa(va.begin(), va.end());
  int shared = 0;
  for (uint32_t h : vb) {
    shared += sa.count(h) ? 1 : 0;
  }
  EXPECT_EQ(shared, 0);
  Entry batch[64];
  for (Table* t : {&a, &b, &a_again}) {
    while (size_t n = t->Drain(batch, 64)) {
      for (size_t i = 0; i < n; ++i) {
        batch[i] = Entry{};
      }
    }
  }
}

TEST_F(HandleTableTest, RightsOnlyReduce) {
  Table table(heap(), 11);
  uint32_t h;
  ASSERT_EQ(table.Add(MakeEntry(1, 0b1011), &h), Status::kOk);
  uint32_t d;
  EXPECT_EQ(table.Duplicate(h, 0, 0b0100, &d), Status::kInvalidArgs);
  EXPECT_EQ(table.Duplicate(h, 0, 0b1111, &d), Status::kInvalidArgs);
  EXPECT_EQ(table.Duplicate(h, 0b0100, 0b0001, &d), Status::kAccessDenied);
  ASSERT_EQ(table.Duplicate(h, 0b1000, 0b0011, &d), Status::kOk);
  EXPECT_NE(d, h);
  Entry got;
  ASSERT_EQ(table.Get(d, &got), Status::kOk);
  EXPECT_EQ(got.rights, 0b0011u);
  EXPECT_EQ(got.object->id, 1);
  // A duplicate cannot regain what it lost.
  uint32_t dd;
  EXPECT_EQ(table.Duplicate(d, 0, 0b1000, &dd), Status::kInvalidArgs);
  EXPECT_EQ(table.Duplicate(d, 0b1000, 0b0001, &dd), Status::kAccessDenied);

  uint32_t r;
  EXPECT_EQ(table.Replace(h, 0b0100, &r), Status::kInvalidArgs);
  ASSERT_EQ(table.Get(h, &got), Status::kOk) << "a failed replace leaves the handle";
  EXPECT_EQ(got.rights, 0b1011u);
  ASSERT_EQ(table.Replace(h, 0b0010, &r), Status::kOk);
  EXPECT_NE(r, h);
  EXPECT_EQ(table.Get(h, &got), Status::kBadHandle) << "the replaced value is dead";
  ASSERT_EQ(table.Get(r, &got), Status::kOk);
  EXPECT_EQ(got.rights, 0b0010u);
  EXPECT_EQ(table.Replace(r, 0b0011, &h), Status::kInvalidArgs);
  // Replacing with the same rights still issues a new value.
  uint32_t r2;
  ASSERT_EQ(table.Replace(r, 0b0010, &r2), Status::kOk);
  EXPECT_NE(r2, r);
  EXPECT_EQ(table.Get(r, &got), Status::kBadHandle);
  EXPECT_EQ(table.count(), 2u);
  got = Entry{};
  Entry out;
  ASSERT_EQ(table.Remove(r2, &out), Status::kOk);
  ASSERT_EQ(table.Remove(d, &out), Status::kOk);
}

TEST_F(HandleTableTest, CapacityLimit) {
  constexpr uint32_t kCapacity = 70;  // not a multiple of the chunk size
  Table table(heap(), 3, kCapacity);
  std::vector<uint32_t> hs;
  for (uint32_t i = 0; i < kCapacity; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(static_cast<int>(i)), &h), Status::kOk);
    hs.push_back(h);
  }
  EXPECT_EQ(table.count(), kCapacity);
  EXPECT_EQ(table.slots_allocated(), kCapacity);
  Entry extra = MakeEntry(100);
  uint32_t h;
  EXPECT_EQ(table.Add(Move(extra), &h), Status::kNoResources);
  EXPECT_TRUE(extra.object) << "a failed Add leaves the entry with the caller";
  EXPECT_EQ(table.Duplicate(hs[0], 0, 0, &h), Status::kNoResources);
  Entry out;
  ASSERT_EQ(table.Remove(hs[5], &out), Status::kOk);
  Entry two[2] = {MakeEntry(101), MakeEntry(102)};
  uint32_t two_values[2];
  EXPECT_EQ(table.AddMany(two, 2, two_values), Status::kNoResources);
  EXPECT_TRUE(two[0].object && two[1].object) << "AddMany is all or nothing";
  EXPECT_EQ(table.count(), kCapacity - 1);
  ASSERT_EQ(table.Add(Move(extra), &h), Status::kOk);
  hs[5] = h;
  for (uint32_t v : hs) {
    ASSERT_EQ(table.Remove(v, &out), Status::kOk);
  }
  EXPECT_EQ(table.count(), 0u);
}

// invalidations() is a lookup cache's validity check: it must change with
// every way a value stops resolving and with nothing else.
TEST_F(HandleTableTest, InvalidationsCountEveryValueThatStopsResolving) {
  Table table(heap(), 12);
  uint64_t n = table.invalidations();
  uint32_t a, b, c;
  ASSERT_EQ(table.Add(MakeEntry(1, 0b11), &a), Status::kOk);
  Entry more[2] = {MakeEntry(2, 0b11), MakeEntry(3, 0b11)};
  uint32_t bc[2];
  ASSERT_EQ(table.AddMany(more, 2, bc), Status::kOk);
  b = bc[0];
  c = bc[1];
  Entry got;
  ASSERT_EQ(table.Get(a, &got), Status::kOk);
  uint32_t d;
  ASSERT_EQ(table.Duplicate(a, 0, 0b01, &d), Status::kOk);
  // Failures change nothing either.
  EXPECT_EQ(table.Get(a ^ 1, &got), Status::kBadHandle);
  uint32_t r;
  EXPECT_EQ(table.Replace(a, 0b100, &r), Status::kInvalidArgs);
  EXPECT_EQ(table.invalidations(), n) << "adds, lookups, duplicates and failures";

  ASSERT_EQ(table.Replace(a, 0b01, &r), Status::kOk);
  EXPECT_EQ(table.invalidations(), n + 1) << "replace";
  Entry out;
  ASSERT_EQ(table.Remove(d, &out), Status::kOk);
  EXPECT_EQ(table.invalidations(), n + 2) << "remove";
  out = Entry{};
  uint32_t bad[2] = {b, b};
  Entry two[2];
  EXPECT_EQ(table.RemoveMany(bad, 2, Rights{0}, two), Status::kBadHandle);
  EXPECT_EQ(table.invalidations(), n + 2) << "a failed RemoveMany";
  uint32_t pair[2] = {b, c};
  ASSERT_EQ(table.RemoveMany(pair, 2, Rights{0}, two), Status::kOk);
  EXPECT_EQ(table.invalidations(), n + 4) << "RemoveMany, one per value";
  two[0] = Entry{};
  two[1] = Entry{};
  ASSERT_EQ(table.Add(MakeEntry(4), &a), Status::kOk);  // reuses a freed slot
  EXPECT_EQ(table.invalidations(), n + 4) << "reusing a slot";
  Entry drained[4];
  EXPECT_EQ(table.Drain(drained, 4), 2u);
  EXPECT_EQ(table.invalidations(), n + 6) << "drain";
}

TEST_F(HandleTableTest, AddManyAndRemoveManyAreAllOrNothing) {
  Table table(heap(), 8);
  Entry entries[5];
  for (int i = 0; i < 5; ++i) {
    entries[i] = MakeEntry(i, i == 3 ? 0b01 : 0b11);
  }
  uint32_t hs[5];
  ASSERT_EQ(table.AddMany(entries, 5, hs), Status::kOk);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(entries[i].object);
    Entry got;
    ASSERT_EQ(table.Get(hs[i], &got), Status::kOk);
    EXPECT_EQ(got.object->id, i);
  }
  EXPECT_EQ(table.AddMany(entries, 0, hs), Status::kOk);

  Entry out[5];
  // A stale value.
  uint32_t bad[3] = {hs[0], hs[1], hs[1] ^ 0x40000000u};
  EXPECT_EQ(table.RemoveMany(bad, 3, Rights{0}, out), Status::kBadHandle);
  // The same handle twice.
  uint32_t twice[3] = {hs[0], hs[2], hs[0]};
  EXPECT_EQ(table.RemoveMany(twice, 3, Rights{0}, out), Status::kBadHandle);
  // A handle lacking a required right (also given as a plain int: the
  // rights overload is chosen, not the predicate template).
  EXPECT_EQ(table.RemoveMany(hs, 5, Rights{0b10}, out), Status::kAccessDenied);
  EXPECT_EQ(table.RemoveMany(hs, 5, 2, out), Status::kAccessDenied);
  // A custom check's error is returned.
  EXPECT_EQ(
      table.RemoveMany(
          hs, 5,
          [](const Entry& e) { return e.object->id == 4 ? Status::kNotSupported : Status::kOk; },
          out),
      Status::kNotSupported);
  EXPECT_EQ(table.count(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(out[i].object);
  }
  // Nothing was left marked: the same set now goes through.
  uint32_t some[3] = {hs[4], hs[0], hs[2]};
  ASSERT_EQ(table.RemoveMany(some, 3, Rights{0b01}, out), Status::kOk);
  EXPECT_EQ(out[0].object->id, 4);
  EXPECT_EQ(out[1].object->id, 0);
  EXPECT_EQ(out[2].object->id, 2);
  EXPECT_EQ(table.count(), 2u);
  Entry got;
  EXPECT_EQ(table.Get(hs[0], &got), Status::kBadHandle);
  for (Entry& e : out) {
    e = Entry{};
  }
  uint32_t rest[2] = {hs[1], hs[3]};
  ASSERT_EQ(table.RemoveMany(rest, 2, Rights{0}, out), Status::kOk);
  EXPECT_EQ(table.count(), 0u);
}

TEST_F(HandleTableTest, DrainClosesAndReturnsEverythingOnce) {
  Table table(heap(), 21);
  std::multiset<int> ids;
  for (int i = 0; i < 300; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(i), &h), Status::kOk);
    ids.insert(i);
    if (i % 3 == 0) {
      uint32_t d;
      ASSERT_EQ(table.Duplicate(h, 0, 0, &d), Status::kOk);
      ids.insert(i);
    }
    if (i % 5 == 0) {
      Entry out;
      ASSERT_EQ(table.Remove(h, &out), Status::kOk);
      ids.erase(ids.find(i));
    }
  }
  size_t total = ids.size();
  EXPECT_EQ(table.count(), total);
  Entry batch[7];
  EXPECT_EQ(table.Drain(batch, 0), 0u) << "an empty batch drains nothing but closes";
  EXPECT_TRUE(table.closed());
  EXPECT_EQ(table.count(), total);
  size_t drained = 0;
  while (size_t n = table.Drain(batch, 7)) {
    EXPECT_TRUE(table.closed());
    for (size_t i = 0; i < n; ++i) {
      auto it = ids.find(batch[i].object->id);
      ASSERT_NE(it, ids.end());
      ids.erase(it);
      batch[i] = Entry{};
    }
    drained += n;
  }
  EXPECT_EQ(drained, total);
  EXPECT_TRUE(ids.empty());
  EXPECT_EQ(table.count(), 0u);
  Entry e = MakeEntry(1);
  uint32_t h;
  EXPECT_EQ(table.Add(Move(e), &h), Status::kBadState);
  EXPECT_TRUE(e.object);
  Entry many[1] = {MakeEntry(2)};
  EXPECT_EQ(table.AddMany(many, 1, &h), Status::kBadState);
  EXPECT_EQ(table.Drain(batch, 7), 0u);
}

TEST_F(HandleTableTest, ForEachListsEveryHandle) {
  Table table(heap(), 77);
  std::map<uint32_t, int> model;
  for (int i = 0; i < 100; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(i, static_cast<Rights>(i)), &h), Status::kOk);
    model[h] = i;
  }
  std::map<uint32_t, int> seen;
  table.ForEach([&](uint32_t value, const Entry& e) {
    EXPECT_EQ(e.rights, static_cast<Rights>(e.object->id));
    EXPECT_EQ(e.koid, kFirstKoid + e.object->id);
    seen[value] = e.object->id;
    return true;
  });
  EXPECT_EQ(seen, model);
  int visited = 0;
  table.ForEach([&](uint32_t, const Entry&) { return ++visited < 10; });
  EXPECT_EQ(visited, 10);
  // The destructor drops what is left.
}

TEST_F(HandleTableTest, OutOfMemoryLeavesTableAndEntryIntact) {
  Table table(heap(), 13);
  // The first Add needs a chunk and a directory.
  TestHeap::FailAfter(0);
  Entry e = MakeEntry(1);
  uint32_t h;
  EXPECT_EQ(table.Add(Move(e), &h), Status::kNoMemory);
  EXPECT_TRUE(e.object);
  TestHeap::FailAfter(1);
  EXPECT_EQ(table.Add(Move(e), &h), Status::kNoMemory);
  EXPECT_TRUE(e.object);
  EXPECT_EQ(TestHeap::live(), 0u);
  TestHeap::FailAfter(-1);
  ASSERT_EQ(table.Add(Move(e), &h), Status::kOk);
  // Fill the first chunk, then fail the next chunk.
  std::vector<uint32_t> hs{h};
  for (uint32_t i = 1; i < Table::kChunkSlots; ++i) {
    ASSERT_EQ(table.Add(MakeEntry(static_cast<int>(i)), &h), Status::kOk);
    hs.push_back(h);
  }
  TestHeap::FailAfter(0);
  EXPECT_EQ(table.Duplicate(hs[0], 0, 0, &h), Status::kNoMemory);
  TestHeap::FailAfter(-1);
  ASSERT_EQ(table.Duplicate(hs[0], 0, 0, &h), Status::kOk);
  EXPECT_EQ(table.count(), Table::kChunkSlots + 1);
  Entry out;
  for (uint32_t v : hs) {
    ASSERT_EQ(table.Remove(v, &out), Status::kOk);
  }
}

TEST_F(HandleTableTest, DirectoryGrowsAcrossManyChunks) {
  Table table(heap(), 17, 5000);
  std::vector<uint32_t> hs;
  for (int i = 0; i < 5000; ++i) {
    uint32_t h;
    ASSERT_EQ(table.Add(MakeEntry(i), &h), Status::kOk);
    hs.push_back(h);
  }
  uint32_t h;
  Entry e = MakeEntry(-1);
  EXPECT_EQ(table.Add(Move(e), &h), Status::kNoResources);
  for (int i = 0; i < 5000; ++i) {
    Entry got;
    ASSERT_EQ(table.Get(hs[i], &got), Status::kOk);
    ASSERT_EQ(got.object->id, i);
  }
}
// Get and Remove overwrite *out; what it held is dropped only after the
// table's lock is released (a dying object may call into the table).
TEST_F(HandleTableTest, PreviousOutputIsDroppedOutsideTheLock) {
  Table table(heap(), 31);
  g_reenter = &table;
  uint32_t a, b;
  ASSERT_EQ(table.Add(MakeEntry(1), &a), Status::kOk);
  ASSERT_EQ(table.Add(MakeEntry(2), &b), Status::kOk);
  Entry out = MakeEntry(3);
  ASSERT_EQ(table.Get(a, &out), Status::kOk);  // drops object 3
  EXPECT_EQ(out.object->id, 1);
  EXPECT_EQ(g_alive.load(mica::kRelaxed), 2);
  out = MakeEntry(4);
  EXPECT_EQ(table.Get(12345, &out), Status::kBadHandle);
  EXPECT_FALSE(out.object) << "on error *out is left empty";
  EXPECT_EQ(g_alive.load(mica::kRelaxed), 2);
  ASSERT_EQ(table.Remove(a, &out), Status::kOk);
  ASSERT_EQ(table.Remove(b, &out), Status::kOk);  // drops object 1
  EXPECT_EQ(out.object->id, 2);
  EXPECT_EQ(g_alive.load(mica::kRelaxed), 1);
  out = Entry{};
  g_reenter = nullptr;
}

TEST_F(HandleTableTest, DestructorReleasesLeftovers) {
  {
    Table table(heap(), 1);
    for (int i = 0; i < 100; ++i) {
      uint32_t h;
      ASSERT_EQ(table.Add(MakeEntry(i), &h), Status::kOk);
    }
    EXPECT_EQ(g_alive.load(mica::kRelaxed), 100);
  }
  EXPECT_EQ(g_alive.load(mica::kRelaxed), 0);
}

}  // namespace
}  // namespace mica::core