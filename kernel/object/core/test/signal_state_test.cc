#include "kernel/object/core/signal_state.h"

#include <deque>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace mica::core {
namespace {

// A waiter: records each notification; done after `remaining` of them.
struct Waiter : SignalObserver {
  Waiter(Signals mask, int remaining = 1)
      : SignalObserver(mask, &Waiter::Callback), remaining(remaining) {}
  static bool Callback(SignalObserver* self, Signals signals) {
    auto* w = static_cast<Waiter*>(self);
    w->seen.push_back(signals);
    return --w->remaining <= 0;
  }
  int remaining;
  std::vector<Signals> seen;
};

// An observer is off the list while its callback runs: a done one can be
// freed by whoever the callback handed it to, and one that stays keeps its
// place in the order.
TEST(SignalState, ObserverUnlinkedDuringCallbackAndKeepsItsPlace) {
  struct Probe : SignalObserver {
    Probe(Signals mask, bool done)
        : SignalObserver(mask,
                         [](SignalObserver* self, Signals) {
                           auto* p = static_cast<Probe*>(self);
                           p->linked_in_callback = p->observing();
                           p->calls++;
                           return p->done;
                         }),
          done(done) {}
    bool done;
    bool linked_in_callback = true;
    int calls = 0;
  };
  SignalState state;
  Probe first(1, false), second(1, true), third(1, false);
  ASSERT_TRUE(state.AddObserver(&first));
  ASSERT_TRUE(state.AddObserver(&second));
  ASSERT_TRUE(state.AddObserver(&third));
  state.UpdateSignals(0, 1);
  EXPECT_FALSE(first.linked_in_callback);
  EXPECT_FALSE(second.linked_in_callback);
  EXPECT_FALSE(third.linked_in_callback);
  EXPECT_TRUE(first.observing());
  EXPECT_FALSE(second.observing());
  EXPECT_TRUE(third.observing());
  EXPECT_EQ(state.observer_count(), 2u);
  // Order kept: first is still notified before third.
  std::vector<const SignalObserver*> order;
  state.RemoveObserversIf([&](SignalObserver* o) {
    order.push_back(o);
    return true;
  });
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], &first);
  EXPECT_EQ(order[1], &third);
}

TEST(SignalState, UpdateNotifiesMatchingObservers) {
  SignalState state;
  Waiter readable(0b01), writable(0b10), either(0b11, 100);
  EXPECT_TRUE(state.AddObserver(&readable));
  EXPECT_TRUE(state.AddObserver(&writable));
  EXPECT_TRUE(state.AddObserver(&either));
  EXPECT_EQ(state.observer_count(), 3u);

  EXPECT_EQ(state.UpdateSignals(0, 0b01), 0b01u);
  EXPECT_EQ(readable.seen, std::vector<Signals>{0b01});
  EXPECT_TRUE(writable.seen.empty());
  EXPECT_EQ(either.seen, std::vector<Signals>{0b01});
  EXPECT_FALSE(readable.observing()) << "done observers are removed";
  EXPECT_TRUE(either.observing());
  EXPECT_EQ(state.observer_count(), 2u);

  // Clearing every bit an observer watches does not call it.
  EXPECT_EQ(state.UpdateSignals(0b01, 0b100), 0b100u);
  EXPECT_TRUE(writable.seen.empty());
  EXPECT_EQ(either.seen.size(), 1u);

  EXPECT_EQ(state.UpdateSignals(0, 0b10), 0b110u);
  EXPECT_EQ(writable.seen, std::vector<Signals>{0b110});
  EXPECT_EQ(either.seen.back(), 0b110u);
  EXPECT_FALSE(state.RemoveObserver(&writable)) << "already removed by its notification";
  EXPECT_TRUE(state.RemoveObserver(&either));
  EXPECT_EQ(state.observer_count(), 0u);
}

TEST(SignalState, NoChangeNoNotification) {
  SignalState state(0b1);
  Waiter w(0b1, 100);
  EXPECT_TRUE(state.AddObserver(&w));  // notified at once: already asserted
  EXPECT_EQ(w.seen.size(), 1u);
  state.UpdateSignals(0, 0b1);
  state.UpdateSignals(0b10, 0);
  EXPECT_EQ(w.seen.size(), 1u);
  state.UpdateSignals(0b1, 0b1);  // clear and set the same bit: no change
  EXPECT_EQ(w.seen.size(), 1u);
  EXPECT_TRUE(state.RemoveObserver(&w));
}

TEST(SignalState, AddWhenAlreadySatisfied) {
  SignalState state(0b1010);
  Waiter done(0b10);
  EXPECT_FALSE(state.AddObserver(&done)) << "satisfied at once, not registered";
  EXPECT_EQ(done.seen, std::vector<Signals>{0b1010});
  EXPECT_FALSE(done.observing());
  Waiter keeps(0b10, 2);
  EXPECT_TRUE(state.AddObserver(&keeps));
  EXPECT_EQ(keeps.seen.size(), 1u);
  Waiter unsatisfied(0b1);
  EXPECT_TRUE(state.AddObserver(&unsatisfied));
  EXPECT_TRUE(unsatisfied.seen.empty());
  state.UpdateSignals(0, 0b1);
  EXPECT_FALSE(keeps.observing());
  EXPECT_FALSE(unsatisfied.observing());
  EXPECT_EQ(state.observer_count(), 0u);
}

TEST(SignalState, RemoveObserversIfCancelsWithoutCalling) {
  SignalState state;
  std::deque<Waiter> waiters;
  for (int i = 0; i < 10; ++i) {
    waiters.emplace_back(Signals{1} << (i % 3));
  }
  for (auto& w : waiters) {
    EXPECT_TRUE(state.AddObserver(&w));
  }
  EXPECT_EQ(state.RemoveObserversIf([](SignalObserver* o) { return o->trigger_mask() == 1; }), 4u);
  EXPECT_EQ(state.observer_count(), 6u);
  for (auto& w : waiters) {
    EXPECT_TRUE(w.seen.empty());
    EXPECT_EQ(w.observing(), w.trigger_mask() != 1);
  }
  state.UpdateSignals(0, 0b111);
  EXPECT_EQ(state.observer_count(), 0u);
  for (auto& w : waiters) {
    EXPECT_EQ(w.seen.size(), w.trigger_mask() == 1 ? 0u : 1u);
  }
}

// One update calls each observer at most once, whatever the callbacks
// answer: the cost is bounded by the number of observers.
TEST(SignalState, EachObserverCalledOncePerUpdate) {
  SignalState state;
  std::deque<Waiter> waiters;
  for (int i = 0; i < 1000; ++i) {
    waiters.emplace_back(0b1, i % 2 == 0 ? 1 : 1000);
  }
  for (auto& w : waiters) {
    state.AddObserver(&w);
  }
  state.UpdateSignals(0, 0b1);
  for (auto& w : waiters) {
    EXPECT_EQ(w.seen.size(), 1u);
  }
  EXPECT_EQ(state.observer_count(), 500u);
  state.UpdateSignals(0b1, 0);
  state.UpdateSignals(0, 0b1);
  for (size_t i = 0; i < waiters.size(); ++i) {
    EXPECT_EQ(waiters[i].seen.size(), i % 2 == 0 ? 1u : 2u);
  }
  state.RemoveObserversIf([](SignalObserver*) { return true; });
}

// An edge observer hears only rising bits of its mask: not a change of
// other bits while one of its bits stays up, not a fall; and it hears the
// level once when it registers while a bit is already up.
TEST(SignalState, EdgeObserverHearsOnlyRisingBits) {
  SignalState state(0b100);
  Waiter edge(0b11, 100);
  edge.set_edge(true);
  Waiter level(0b11, 100);
  EXPECT_TRUE(state.AddObserver(&edge));
  EXPECT_TRUE(state.AddObserver(&level));
  EXPECT_TRUE(edge.seen.empty());
  state.UpdateSignals(0, 0b1);  // rises
  EXPECT_EQ(edge.seen, std::vector<Signals>{0b101});
  state.UpdateSignals(0b100, 0);  // another bit changes while 0b1 stays up
  state.UpdateSignals(0, 0b1000);
  EXPECT_EQ(edge.seen.size(), 1u);
  EXPECT_EQ(level.seen.size(), 3u);
  state.UpdateSignals(0, 0b10);  // the second bit of the mask rises
  EXPECT_EQ(edge.seen.size(), 2u);
  state.UpdateSignals(0b11, 0);  // falls: nothing for either
  EXPECT_EQ(edge.seen.size(), 2u);
  EXPECT_EQ(level.seen.size(), 4u);
  state.UpdateSignals(0, 0b1);  // rises again
  EXPECT_EQ(edge.seen.size(), 3u);
  EXPECT_EQ(edge.seen.back(), Signals{0b1001});
  EXPECT_TRUE(state.RemoveObserver(&edge));
  Waiter late(0b1, 100);
  late.set_edge(true);
  EXPECT_TRUE(state.AddObserver(&late));  // already up: told once at once
  EXPECT_EQ(late.seen.size(), 1u);
  state.UpdateSignals(0, 0b1000000);
  EXPECT_EQ(late.seen.size(), 1u);
  state.RemoveObserversIf([](SignalObserver*) { return true; });
}

// Random updates against a model of the word and of who is registered.
TEST(SignalState, RandomUpdatesMatchModel) {
  std::mt19937 rng(5);
  SignalState state;
  Signals model = 0;
  std::deque<Waiter> waiters;
  for (int i = 0; i < 50; ++i) {
    waiters.emplace_back(rng() & 0xff, 1 + static_cast<int>(rng() % 4));
    waiters.back().set_edge(i % 2 == 1);  // half level-, half edge-triggered
  }
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 4);
    if (op == 0) {
      Waiter& w = waiters[rng() % waiters.size()];
      if (!w.observing()) {
        w.remaining = 1 + static_cast<int>(rng() % 4);
        size_t before = w.seen.size();
        bool satisfied = (model & w.trigger_mask()) != 0;
        bool added = state.AddObserver(&w);
        ASSERT_EQ(w.seen.size(), before + (satisfied ? 1 : 0));
        ASSERT_EQ(added, !(satisfied && w.remaining == 0));
      }
    } else if (op == 1) {
      Waiter& w = waiters[rng() % waiters.size()];
      bool was = w.observing();
      ASSERT_EQ(state.RemoveObserver(&w), was);
    } else {
      Signals clear = rng() & 0xff, set = rng() & 0xff;
      Signals next = (model & ~clear) | set;
      std::vector<size_t> before, expect_remaining;
      for (auto& w : waiters) {
        before.push_back(w.seen.size());
      }
      std::vector<bool> was_observing;
      for (auto& w : waiters) {
        was_observing.push_back(w.observing());
      }
      ASSERT_EQ(state.UpdateSignals(clear, set), next);
      for (size_t i = 0; i < waiters.size(); ++i) {
        Signals hit = waiters[i].edge() ? next & ~model : next;
        bool called = was_observing[i] && next != model && (hit & waiters[i].trigger_mask()) != 0;
        ASSERT_EQ(waiters[i].seen.size(), before[i] + (called ? 1 : 0));
        if (called) {
          ASSERT_EQ(waiters[i].seen.back(), next);
          ASSERT_EQ(waiters[i].observing(), waiters[i].remaining > 0);
        } else {
          ASSERT_EQ(waiters[i].observing(), was_observing[i]);
        }
      }
      model = next;
    }
    ASSERT_EQ(state.signals(), model);
  }
  state.RemoveObserversIf([](SignalObserver*) { return true; });
}

}  // namespace
}  // namespace mica::core
