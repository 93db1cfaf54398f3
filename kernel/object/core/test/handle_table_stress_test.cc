// HandleTable under random operation sequences (against a model) and
// concurrent use.
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/test/handle_table_test_util.h"

namespace mica::core {
namespace {

// A suite name of its own: the fixture is per translation unit.
// Its own fixture (not derived from HandleTableTest, which lives in an
// anonymous namespace per file: gtest rejects two fixture types behind one
// inherited suite).
class HandleTableStressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_alive.store(0, mica::kRelaxed);
    g_reenter = nullptr;
  }
  void TearDown() override {
    EXPECT_EQ(g_alive.load(mica::kRelaxed), 0) << "objects leaked";
    TestHeap::ExpectNoLeaks();
  }
  const Allocator* heap() { return TestHeap::allocator(); }
};

// Random operations against a model: the table must agree with a map from
// live values to entries, and no value may ever be issued twice.
TEST_F(HandleTableStressTest, RandomOperationsMatchModel) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    constexpr uint32_t kCapacity = 200;
    Table table(heap(), seed * 1000003ull, kCapacity);
    std::mt19937 rng(seed);
    struct M {
      int id;
      Rights rights;
    };
    std::map<uint32_t, M> live;
    std::vector<uint32_t> dead;
    std::set<uint32_t> issued;
    int next_id = 0;
    auto pick_live = [&]() {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      return it->first;
    };
    auto issue = [&](uint32_t h, M m) {
      ASSERT_NE(h, 0u);
      ASSERT_TRUE(issued.insert(h).second) << "value issued twice";
      live[h] = m;
    };
    auto kill = [&](uint32_t h) {
      live.erase(h);
      dead.push_back(h);
    };
    for (int step = 0; step < 40000; ++step) {
      int op = static_cast<int>(rng() % 9);
      Entry out;
      if (op == 0 || live.empty()) {
        Rights r = rng() & 0xff;
        int id = next_id++;
        uint32_t h;
        Status s = table.Add(MakeEntry(id, r), &h);
        if (live.size() == kCapacity) {
          ASSERT_EQ(s, Status::kNoResources);
        } else {
          ASSERT_EQ(s, Status::kOk);
          issue(h, M{id, r});
        }
      } else if (op == 1) {
        uint32_t h = pick_live();
        ASSERT_EQ(table.Remove(h, &out), Status::kOk);
        ASSERT_EQ(out.object->id, live[h].id);
        kill(h);
      } else if (op == 2) {
        uint32_t h = pick_live();
        ASSERT_EQ(table.Get(h, &out), Status::kOk);
        ASSERT_EQ(out.object->id, live[h].id);
        ASSERT_EQ(out.rights, live[h].rights);
      } else if (op == 3 && !dead.empty()) {
        uint32_t h = dead[rng() % dead.size()];
        ASSERT_EQ(table.Get(h, &out), Status::kBadHandle);
        ASSERT_EQ(table.Remove(h, &out), Status::kBadHandle);
        uint32_t x;
        ASSERT_EQ(table.Duplicate(h, 0, 0, &x), Status::kBadHandle);
        ASSERT_EQ(table.Replace(h, 0, &x), Status::kBadHandle);
      } else if (op == 4) {
        uint32_t h = pick_live();
        M m = live[h];
        Rights want = rng() & 0xff;
        uint32_t d;
        Status s = table.Duplicate(h, 0, want, &d);
        if (!RightsSubset(want, m.rights)) {
          ASSERT_EQ(s, Status::kInvalidArgs);
        } else if (live.size() == kCapacity) {
          ASSERT_EQ(s, Status::kNoResources);
        } else {
          ASSERT_EQ(s, Status::kOk);
          issue(d, M{m.id, want});
        }
      } else if (op == 5) {
        uint32_t h = pick_live();
        M m = live[h];
        Rights want = (rng() % 2) ? (m.rights & rng()) : static_cast<Rights>(rng() & 0xff);
        uint32_t r;
        Status s = table.Replace(h, want, &r);
        if (!RightsSubset(want, m.rights)) {
          ASSERT_EQ(s, Status::kInvalidArgs);
        } else {
          ASSERT_EQ(s, Status::kOk);
          kill(h);
          issue(r, M{m.id, want});
        }
      } else if (op == 6) {
        size_t n = rng() % 6;
        std::vector<Entry> es;
        std::vector<M> ms;
        for (size_t i = 0; i < n; ++i) {
          Rights r = rng() & 0xff;
          es.push_back(MakeEntry(next_id, r));
          ms.push_back(M{next_id++, r});
        }
        std::vector<uint32_t> hs(n);
        Status s = table.AddMany(es.data(), n, hs.data());
        if (live.size() + n > kCapacity) {
          ASSERT_EQ(s, Status::kNoResources);
        } else {
          ASSERT_EQ(s, Status::kOk);
          for (size_t i = 0; i < n; ++i) {
            issue(hs[i], ms[i]);
          }
        }
      } else if (op == 7) {
        // Remove several, sometimes with a dead or repeated value mixed in.
        size_t n = 1 + rng() % 4;
        std::vector<uint32_t> hs;
        std::set<uint32_t> uniq;
        for (size_t i = 0; i < n; ++i) {
          uint32_t h = pick_live();
          hs.push_back(h);
          uniq.insert(h);
        }
        bool spoil = !dead.empty() && rng() % 4 == 0;
        if (spoil) {
          hs.push_back(dead[rng() % dead.size()]);
        }
        Rights need = rng() % 3 == 0 ? 1 : 0;
        bool rights_ok = true;
        for (uint32_t h : hs) {
          if (live.count(h) && !RightsSubset(need, live[h].rights)) {
            rights_ok = false;
          }
        }
        std::vector<Entry> outs(hs.size());
        Status s = table.RemoveMany(hs.data(), hs.size(), need, outs.data());
        if (spoil || uniq.size() != n) {
          ASSERT_NE(s, Status::kOk);
        } else if (!rights_ok) {
          ASSERT_EQ(s, Status::kAccessDenied);
        } else {
          ASSERT_EQ(s, Status::kOk);
          for (size_t i = 0; i < hs.size(); ++i) {
            ASSERT_EQ(outs[i].object->id, live[hs[i]].id);
            kill(hs[i]);
          }
        }
      } else {
        uint32_t v = rng();
        if (!live.count(v)) {
          ASSERT_EQ(table.Get(v, &out), Status::kBadHandle);
        }
      }
      ASSERT_EQ(table.count(), live.size());
    }
    size_t listed = 0;
    table.ForEach([&](uint32_t value, const Entry& e) {
      EXPECT_EQ(live.at(value).id, e.object->id);
      ++listed;
      return true;
    });
    EXPECT_EQ(listed, live.size());
    EXPECT_LE(table.slots_allocated(), kCapacity);
  }
}

// Threads add, look up, duplicate and remove on one table at once.
TEST_F(HandleTableStressTest, ConcurrentUse) {
  constexpr int kThreads = 4;
  constexpr int kIters = 20000;
  Table table(heap(), 0xc0ffee, 1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::pair<uint32_t, int>> mine;
      for (int i = 0; i < kIters; ++i) {
        if (mine.size() < 100 && rng() % 2 == 0) {
          uint32_t h;
          int id = t * kIters + i;
          Status s = table.Add(MakeEntry(id), &h);
          ASSERT_TRUE(s == Status::kOk || s == Status::kNoResources);
          if (s == Status::kOk) {
            mine.emplace_back(h, id);
          }
        } else if (!mine.empty()) {
          size_t k = rng() % mine.size();
          Entry out;
          int what = static_cast<int>(rng() % 3);
          if (what == 0) {
            ASSERT_EQ(table.Get(mine[k].first, &out), Status::kOk);
            ASSERT_EQ(out.object->id, mine[k].second);
          } else if (what == 1) {
            uint32_t r;
            ASSERT_EQ(table.Replace(mine[k].first, 0x7, &r), Status::kOk);
            ASSERT_EQ(table.Get(mine[k].first, &out), Status::kBadHandle);
            mine[k].first = r;
          } else {
            ASSERT_EQ(table.Remove(mine[k].first, &out), Status::kOk);
            ASSERT_EQ(out.object->id, mine[k].second);
            ASSERT_EQ(table.Get(mine[k].first, &out), Status::kBadHandle);
            mine.erase(mine.begin() + static_cast<long>(k));
          }
        }
      }
      for (auto& [h, id] : mine) {
        Entry out;
        ASSERT_EQ(table.Remove(h, &out), Status::kOk);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(table.count(), 0u);
}

// Threads racing to grow a fresh table get exactly `capacity` handles.
TEST_F(HandleTableStressTest, ConcurrentFillStopsAtCapacity) {
  constexpr uint32_t kCapacity = 2500;
  constexpr int kThreads = 4;
  Table table(heap(), 0xabc, kCapacity);
  int added[kThreads] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        uint32_t h;
        Status s = table.Add(MakeEntry(t * 1000 + i), &h);
        ASSERT_TRUE(s == Status::kOk || s == Status::kNoResources);
        added[t] += s == Status::kOk ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  int total = 0;
  for (int n : added) {
    total += n;
  }
  EXPECT_EQ(total, static_cast<int>(kCapacity));
  EXPECT_EQ(table.count(), kCapacity);
  EXPECT_EQ(table.slots_allocated(), kCapacity);
  std::set<uint32_t> values;
  table.ForEach([&](uint32_t v, const Entry&) { return values.insert(v).second; });
  EXPECT_EQ(values.size(), kCapacity);
}

}  // namespace
}  // namespace mica::core
