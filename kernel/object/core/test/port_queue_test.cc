#include "kernel/object/core/port_queue.h"

#include <deque>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/object/core/test/test_allocator.h"

namespace mica::core {
namespace {

using test::TestHeap;

PortPacket MakePacket(uint64_t key, uint32_t type = 0) {
  PortPacket p{};
  p.key = key;
  p.type = type;
  return p;
}

UserPacket MakeUser(uint64_t key, uint32_t type = 0) {
  auto r = UserPacket::Create(TestHeap::allocator(), MakePacket(key, type));
  EXPECT_TRUE(r.ok());
  return Move(r.value());
}

class PortQueueTest : public ::testing::Test {
 protected:
  void TearDown() override { TestHeap::ExpectNoLeaks(); }
};

// Signal packets reuse the observer's own slot: delivering never allocates
// and never fails, however full the queue is with user packets.
TEST_F(PortQueueTest, ObserverSlotsNeedNoAllocation) {
  PortQueue q(2);
  UserPacket u1 = MakeUser(1), u2 = MakeUser(2);
  ASSERT_EQ(q.QueueUser(&u1), Status::kOk);
  ASSERT_EQ(q.QueueUser(&u2), Status::kOk);
  size_t allocs = TestHeap::total_allocs();
  std::vector<PortSlot> observers(100);
  for (size_t i = 0; i < observers.size(); ++i) {
    observers[i].packet = MakePacket(1000 + i);
    EXPECT_TRUE(q.QueueObserver(&observers[i]));
    EXPECT_TRUE(observers[i].queued());
    EXPECT_FALSE(observers[i].is_user());
  }
  EXPECT_EQ(TestHeap::total_allocs(), allocs);
  EXPECT_EQ(q.count(), 102u);
  EXPECT_EQ(q.user_count(), 2u);
  // Delivering again coalesces: the slot is not queued twice.
  observers[5].packet.status = 42;
  EXPECT_FALSE(q.QueueObserver(&observers[5]));
  EXPECT_EQ(q.count(), 102u);

  for (int i = 0; i < 2; ++i) {
    PortSlot* s = q.Pop();
    ASSERT_TRUE(s->is_user());
    EXPECT_EQ(s->packet.key, static_cast<uint64_t>(i + 1));
    UserPacket::Adopt(s).reset();
  }
  for (size_t i = 0; i < observers.size(); ++i) {
    PortSlot* s = q.Pop();
    ASSERT_EQ(s, &observers[i]);
    EXPECT_FALSE(s->queued());
  }
  EXPECT_EQ(observers[5].packet.status, 42);
  EXPECT_EQ(q.Pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST_F(PortQueueTest, UserPacketBound) {
  PortQueue q(3);
  EXPECT_EQ(q.max_user_packets(), 3u);
  for (int i = 0; i < 3; ++i) {
    UserPacket u = MakeUser(i);
    ASSERT_EQ(q.QueueUser(&u), Status::kOk);
    EXPECT_FALSE(u);
  }
  UserPacket extra = MakeUser(3);
  EXPECT_EQ(q.QueueUser(&extra), Status::kShouldWait);
  ASSERT_TRUE(extra) << "a refused packet stays with the caller";
  PortSlot observer;
  EXPECT_TRUE(q.QueueObserver(&observer)) << "observers are not bound by the user limit";
  UserPacket first = UserPacket::Adopt(q.Pop());
  EXPECT_EQ(first->packet.key, 0u);
  EXPECT_EQ(q.user_count(), 2u);
  EXPECT_EQ(q.QueueUser(&extra), Status::kOk);
  EXPECT_EQ(q.user_count(), 3u);
  EXPECT_TRUE(q.Remove(&observer));
  EXPECT_FALSE(q.Remove(&observer));
  EXPECT_EQ(q.count(), 3u);
  // The destructor frees the user packets left.
}

TEST_F(PortQueueTest, CreateReportsNoMemory) {
  TestHeap::FailAfter(0);
  auto r = UserPacket::Create(TestHeap::allocator(), MakePacket(1));
  EXPECT_EQ(r.status(), Status::kNoMemory);
  TestHeap::FailAfter(-1);
}

TEST_F(PortQueueTest, CancelByKeyRemovesEveryMatch) {
  PortQueue q;
  PortSlot o1, o2, o3;
  o1.packet = MakePacket(7);
  o2.packet = MakePacket(8);
  o3.packet = MakePacket(7);
  UserPacket u1 = MakeUser(7, 1), u2 = MakeUser(8, 2), u3 = MakeUser(7, 3);
  q.QueueObserver(&o1);
  ASSERT_EQ(q.QueueUser(&u1), Status::kOk);
  q.QueueObserver(&o2);
  ASSERT_EQ(q.QueueUser(&u2), Status::kOk);
  q.QueueObserver(&o3);
  ASSERT_EQ(q.QueueUser(&u3), Status::kOk);

  PortSlotList removed;
  EXPECT_EQ(q.CancelByKey(7, &removed), 4u);
  EXPECT_EQ(q.count(), 2u);
  EXPECT_EQ(q.user_count(), 1u);
  ASSERT_EQ(removed.size(), 4u);
  std::vector<PortSlot*> order;
  for (PortSlot& s : removed) {
    order.push_back(&s);
  }
  EXPECT_EQ(order[0], &o1);
  EXPECT_TRUE(order[1]->is_user());
  EXPECT_EQ(order[2], &o3);
  EXPECT_EQ(order[3]->packet.type, 3u);
  EXPECT_EQ(q.CancelByKey(7, &removed), 0u);
  PortQueue::ReleaseAll(&removed);
  EXPECT_TRUE(removed.empty());
  EXPECT_FALSE(o1.queued());
  EXPECT_EQ(q.Pop(), &o2);
  UserPacket last = UserPacket::Adopt(q.Pop());
  EXPECT_EQ(last->packet.type, 2u);
  EXPECT_TRUE(q.empty());
}

TEST_F(PortQueueTest, CancelIfWithPredicate) {
  PortQueue q;
  std::vector<PortSlot> slots(10);
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].packet = MakePacket(i, static_cast<uint32_t>(i % 3));
    q.QueueObserver(&slots[i]);
  }
  PortSlotList removed;
  EXPECT_EQ(q.CancelIf([](const PortSlot& s) { return s.packet.type == 0; }, &removed), 4u);
  EXPECT_EQ(q.count(), 6u);
  PortQueue::ReleaseAll(&removed);
  while (PortSlot* s = q.Pop()) {
    EXPECT_NE(s->packet.type, 0u);
  }
}

TEST_F(PortQueueTest, DestructorUnlinksObserversAndFreesUserPackets) {
  PortSlot observer;
  {
    PortQueue q;
    q.QueueObserver(&observer);
    for (int i = 0; i < 10; ++i) {
      UserPacket u = MakeUser(i);
      ASSERT_EQ(q.QueueUser(&u), Status::kOk);
    }
  }
  EXPECT_FALSE(observer.queued());
}

// Random queueing, popping, removal and cancellation against a model.
TEST_F(PortQueueTest, RandomOperationsMatchModel) {
  std::mt19937 rng(12);
  constexpr uint32_t kMaxUser = 20;
  PortQueue q(kMaxUser);
  std::vector<PortSlot> observers(30);
  for (size_t i = 0; i < observers.size(); ++i) {
    observers[i].packet = MakePacket(i % 5, 100 + static_cast<uint32_t>(i));
  }
  // Model entries: the packet type identifies the packet (observers
  // 100..129, user packets from 1000 up).
  std::deque<std::pair<uint64_t, uint32_t>> model;
  size_t model_user = 0;
  uint32_t next_user = 1000;
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 6);
    if (op == 0) {
      PortSlot* o = &observers[rng() % observers.size()];
      bool was = o->queued();
      ASSERT_EQ(q.QueueObserver(o), !was);
      if (!was) {
        model.emplace_back(o->packet.key, o->packet.type);
      }
    } else if (op == 1) {
      uint64_t key = rng() % 5;
      UserPacket u = MakeUser(key, next_user);
      Status s = q.QueueUser(&u);
      if (model_user == kMaxUser) {
        ASSERT_EQ(s, Status::kShouldWait);
      } else {
        ASSERT_EQ(s, Status::kOk);
        model.emplace_back(key, next_user);
        ++model_user;
      }
      ++next_user;
    } else if (op == 2 || op == 3) {
      PortSlot* s = q.Pop();
      if (model.empty()) {
        ASSERT_EQ(s, nullptr);
      } else {
        ASSERT_NE(s, nullptr);
        ASSERT_EQ(s->packet.type, model.front().second);
        ASSERT_EQ(s->is_user(), model.front().second >= 1000);
        if (s->is_user()) {
          UserPacket::Adopt(s).reset();
          --model_user;
        }
        model.pop_front();
      }
    } else if (op == 4) {
      PortSlot* o = &observers[rng() % observers.size()];
      bool was = o->queued();
      ASSERT_EQ(q.Remove(o), was);
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->second == o->packet.type) {
          model.erase(it);
          break;
        }
      }
    } else if (rng() % 4 == 0) {
      uint64_t key = rng() % 5;
      PortSlotList removed;
      size_t n = q.CancelByKey(key, &removed);
      size_t want = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (it->first == key) {
          if (it->second >= 1000) {
            --model_user;
          }
          it = model.erase(it);
          ++want;
        } else {
          ++it;
        }
      }
      ASSERT_EQ(n, want);
      PortQueue::ReleaseAll(&removed);
    }
    ASSERT_EQ(q.count(), model.size());
    ASSERT_EQ(q.user_count(), model_user);
  }
  PortSlotList all;
  q.CancelIf([](const PortSlot&) { return true; }, &all);
  PortQueue::ReleaseAll(&all);
}

}  // namespace
}  // namespace mica::core
