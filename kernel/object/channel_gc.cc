#include "kernel/object/channel_gc.h"

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/object/object_type.h"

namespace {

// Guards every endpoint's inflight_ and inflight_node_, g_in_flight and
// the changes of g_in_flight_total (an Atomic: the trigger reads it without
// the lock). A leaf: nothing else is taken under it.
IrqSpinLock g_inflight_lock;
ChannelGc::InFlightList g_in_flight GUARDED_BY(g_inflight_lock);
mica::Atomic<uint64_t> g_in_flight_total;

// Bumped (under the endpoint's lock) by every read that takes a message
// carrying endpoint handles out of a queue (step 4's check).
mica::Atomic<uint64_t> g_dequeue_generation;
// Set when an endpoint may have become a candidate since the last
// collection began.
mica::Atomic<bool> g_maybe_garbage;
// Trigger events since the last collection. A collection costs about one
// step per endpoint handle in flight; the releasing thread runs one only
// once there have been as many events as that since the last.
mica::Atomic<uint64_t> g_events;
// One collection at a time; `g_again` asks the running one for one more.
mica::Atomic<bool> g_running;
mica::Atomic<bool> g_again;
// Only the running collection touches these.
uint64_t g_epoch = 0;
ChannelGc::Stats g_stats = {};

// The collector thread: woken (g_kicked) when a trigger is past the ration.
mica::Atomic<bool> g_kicked;
sched::WaitQueue g_kick_wait;
mica::Atomic<uint64_t> g_last_duration_ns;  // written by the running collection

constexpr size_t kListBatch = 64;            // in-flight list entries per lock hold
constexpr uint64_t kMinPauseNs = 2'000'000;  // the collector thread's pauses
constexpr uint64_t kMaxPauseNs = 200'000'000;
constexpr int kMaxRounds = 4;  // collections per MaybeCollect

ChannelDispatcher* AsEndpoint(const HandleEntry& h) {
  if (!h.object || h.object->type() != MICA_OBJ_TYPE_CHANNEL) {
    return nullptr;
  }
  return As<ChannelDispatcher>(h.object.get());
}

void NoteMaybeGarbage() {
  g_maybe_garbage.store(true, mica::kRelaxed);
}

}  // namespace

bool ChannelGc::CarriesEndpoints(const ChannelMessage& msg) {
  for (uint32_t i = 0; i < msg.handle_count(); i++) {
    if (AsEndpoint(msg.handles()[i]) != nullptr) {
      return true;
    }
  }
  return false;
}

void ChannelGc::CountInFlight(ChannelMessage* msg, int delta, bool note_candidates) {
  bool any = false;
  {
    IrqGuard g(g_inflight_lock);
    for (uint32_t i = 0; i < msg->handle_count(); i++) {
      ChannelDispatcher* e = AsEndpoint(msg->handles()[i]);
      if (e == nullptr) {
        continue;
      }
      any = true;
      if (delta > 0) {
        if (e->inflight_++ == 0) {
          e->gc_seen_epoch_ = 0;
          g_in_flight.push_back(e);
        }
        g_in_flight_total.store(g_in_flight_total.load(mica::kRelaxed) + 1, mica::kRelaxed);
      } else {
        MICA_ASSERT(e->inflight_ != 0);
        if (--e->inflight_ == 0) {
          g_in_flight.remove(e);
        }
        g_in_flight_total.store(g_in_flight_total.load(mica::kRelaxed) - 1, mica::kRelaxed);
      }
      if (note_candidates) {
        // Pairs with HandleReleased: of a handle leaving a table this way
        // and another closed at the same time, at least one sees both
        // counts changed.
        mica::AtomicFence(mica::kSeqCst);
        if (e->handle_count() == e->inflight_) {
          NoteMaybeGarbage();
        }
      }
    }
  }
  if (any && note_candidates) {
    g_events.fetch_add(1, mica::kRelaxed);
  }
}

void ChannelGc::HandlesEnteredMessage(ChannelMessage* msg) {
  // No collection now: the message is in transit until it is queued, and
  // a collection would find its endpoints reachable (QueuedLocked).
  CountInFlight(msg, +1, /*note_candidates=*/true);
}

void ChannelGc::QueuedLocked(const ChannelMessage& msg) {
  for (uint32_t i = 0; i < msg.handle_count(); i++) {
    ChannelDispatcher* e = AsEndpoint(msg.handles()[i]);
    if (e != nullptr &&
        e->handle_count() == mica::AtomicRef<uint32_t>(e->inflight_).load(mica::kRelaxed)) {
      NoteMaybeGarbage();
      KickCollector();
      return;
    }
  }
}

void ChannelGc::KickCollector() {
  if (!g_kicked.exchange(true, mica::kAcqRel)) {
    g_kick_wait.WakeAll();
  }
}

void ChannelGc::HandlesLeavingMessage(ChannelMessage* msg) {
  CountInFlight(msg, -1, /*note_candidates=*/false);
}

void ChannelGc::HandlesReturnedToMessage(ChannelMessage* msg) {
  CountInFlight(msg, +1, /*note_candidates=*/true);
}

void ChannelGc::InFlightHandleReleased(ChannelDispatcher* e) {
  IrqGuard g(g_inflight_lock);
  MICA_ASSERT(e->inflight_ != 0);
  if (--e->inflight_ == 0) {
    g_in_flight.remove(e);
  }
  g_in_flight_total.store(g_in_flight_total.load(mica::kRelaxed) - 1, mica::kRelaxed);
}

void ChannelGc::DequeuedLocked(const ChannelMessage& msg) {
  if (CarriesEndpoints(msg)) {
    g_dequeue_generation.fetch_add(1, mica::kRelaxed);
  }
}

void ChannelGc::ReadDuringVerdictLocked() {
  g_dequeue_generation.fetch_add(1, mica::kRelaxed);
}

void ChannelGc::HandleReleased(ChannelDispatcher* e, uint32_t remaining) {
  mica::AtomicFence(mica::kSeqCst);  // see CountInFlight
  uint32_t inflight = mica::AtomicRef<uint32_t>(e->inflight_).load(mica::kRelaxed);
  if (inflight == 0) {
    return;
  }
  g_events.fetch_add(1, mica::kRelaxed);
  if (inflight == remaining) {
    NoteMaybeGarbage();
  }
  MaybeCollect();
}

void ChannelGc::MaybeCollect(bool force) {
  if (!g_maybe_garbage.load(mica::kRelaxed)) {
    return;
  }
  // Inside a chain of last-handle reactions: the outermost one calls again
  // when it is done (Dispatcher::ZeroHandles), on a short stack.
  if (sched::Current()->deferred.draining) {
    return;
  }
  // Under a spin lock (a process killed under its task or job lock
  // releases its handles there): never collect with interrupts off; the
  // collector thread does it. (The in-flight total is read without its
  // lock: an estimate of the cost is all the ration needs.)
  if (arch::IrqsDisabled() ||
      (!force && g_events.load(mica::kRelaxed) < g_in_flight_total.load(mica::kRelaxed))) {
    KickCollector();
    return;
  }
  int rounds = 0;
  while (rounds < kMaxRounds) {
    if (g_running.exchange(true, mica::kAcquire)) {
      g_again.store(true, mica::kRelease);
      return;
    }
    do {
      g_again.store(false, mica::kRelaxed);
      g_maybe_garbage.store(false, mica::kRelaxed);
      g_events.store(0, mica::kRelaxed);
      CollectOnce();
      rounds++;
    } while (g_again.load(mica::kAcquire) && rounds < kMaxRounds);
    g_running.store(false, mica::kRelease);
    // A request that came after the last check must not be lost.
    if (!g_again.load(mica::kAcquire) || !g_maybe_garbage.load(mica::kRelaxed)) {
      return;
    }
  }
  // Out of rounds with more to do: the collector thread goes on.
  KickCollector();
}

void ChannelGc::CollectOnce() {
  const uint64_t epoch = ++g_epoch;
  const uint64_t started_ns = timer::NowNs();
  const uint64_t generation = g_dequeue_generation.load(mica::kAcquire);

  // Step 1: the candidates, each with a reference so none goes away under
  // the collection. An endpoint on the list has handles in messages,
  // which hold references, so the AddRef is safe under the lock.
  ChannelDispatcher* candidates = nullptr;
  size_t visited = 0;
  {
    uint64_t irq = g_inflight_lock.Acquire();
    size_t budget = g_in_flight.size();
    while (budget-- > 0) {
      ChannelDispatcher* e = g_in_flight.front();
      if (e == nullptr || e->gc_seen_epoch_ == epoch) {
        break;
      }
      // Visited entries move to the back, so a batch boundary (the lock
      // dropped) loses nothing.
      g_in_flight.remove(e);
      g_in_flight.push_back(e);
      e->gc_seen_epoch_ = epoch;
      if (e->handle_count() == e->inflight_) {
        e->AddRef();
        e->gc_candidate_epoch_ = epoch;
        e->gc_count_ = e->inflight_;
        e->gc_next_ = candidates;
        candidates = e;
      }
      if (++visited % kListBatch == 0) {
        g_inflight_lock.Release(irq);
        irq = g_inflight_lock.Acquire();
      }
    }
    g_inflight_lock.Release(irq);
  }

  auto for_each_queued_endpoint = [](ChannelDispatcher* at, auto&& fn) {
    IrqGuard g(at->lock());
    at->queue_.ForEach([&](const ChannelMessage& m) {
      for (uint32_t i = 0; i < m.handle_count(); i++) {
        if (ChannelDispatcher* e = AsEndpoint(m.handles()[i])) {
          fn(e);
        }
      }
    });
  };

  // Step 2: subtract the handles the candidates' queues hold.
  for (ChannelDispatcher* c = candidates; c != nullptr; c = c->gc_next_) {
    for_each_queued_endpoint(c, [&](ChannelDispatcher* e) {
      if (e->gc_candidate_epoch_ == epoch) {
        e->gc_count_--;
      }
    });
  }

  // Step 3: whatever has a handle elsewhere is reachable, and so is what
  // its queue holds.
  ChannelDispatcher* work = nullptr;
  for (ChannelDispatcher* c = candidates; c != nullptr; c = c->gc_next_) {
    if (c->gc_count_ > 0) {
      c->gc_reached_epoch_ = epoch;
      c->gc_work_next_ = work;
      work = c;
    }
  }
  while (work != nullptr) {
    ChannelDispatcher* r = work;
    work = r->gc_work_next_;
    for_each_queued_endpoint(r, [&](ChannelDispatcher* e) {
      if (e->gc_candidate_epoch_ == epoch && e->gc_reached_epoch_ != epoch) {
        e->gc_reached_epoch_ = epoch;
        e->gc_work_next_ = work;
        work = e;
      }
    });
  }

  // Step 4: the garbage. Marked tentatively dead (a read of such an
  // endpoint proceeds but moves the generation), then, if no read
  // invalidated the scan, dead (reads fail), then, if still nothing moved,
  // drained. A collection that gives up leaves no trace but the retry.
  auto garbage = [epoch](ChannelDispatcher* c) { return c->gc_reached_epoch_ != epoch; };
  auto mark = [&](uint8_t state) {
    size_t n = 0;
    for (ChannelDispatcher* c = candidates; c != nullptr; c = c->gc_next_) {
      if (garbage(c)) {
        IrqGuard g(c->lock());
        c->gc_state_ = state;
        n++;
      }
    }
    return n;
  };
  auto unchanged = [generation]() {
    return g_dequeue_generation.load(mica::kAcquire) == generation;
  };
  size_t found = mark(ChannelDispatcher::kGcTentative);
  ChannelMessageList hit;
  if (found != 0) {
    if (unchanged() && mark(ChannelDispatcher::kGcDead) != 0 && unchanged()) {
      for (ChannelDispatcher* c = candidates; c != nullptr; c = c->gc_next_) {
        if (garbage(c)) {
          IrqGuard g(c->lock());
          c->DrainForCollectorLocked(&hit);
        }
      }
      g_stats.collected += found;
    } else {
      mark(ChannelDispatcher::kGcLive);
      g_stats.aborted++;
      found = 0;
      NoteMaybeGarbage();
      KickCollector();  // try again soon, even if nothing else triggers
    }
  }
  g_stats.collections++;
  g_last_duration_ns.store(timer::NowNs() - started_ns, mica::kRelaxed);

  // Outside every lock: the messages go (releasing the garbage's handles,
  // which destroys it), then the collection's references.
  hit.clear();
  while (ChannelDispatcher* c = candidates) {
    candidates = c->gc_next_;
    c->gc_next_ = nullptr;
    c->gc_work_next_ = nullptr;
    if (c->Release()) {
      delete c;
    }
  }
}

void ChannelGc::Start() {
  sched::Thread* t = sched::Create("channel-gc", WorkerMain, nullptr, sched::kPriorityDefault);
  MICA_ASSERT_MSG(t != nullptr, "cannot start the channel collector");
  sched::Detach(t);
  sched::Start(t);
}

void ChannelGc::WorkerMain(void*) {
  for (;;) {
    (void)g_kick_wait.BlockWhile([](const void*) { return !g_kicked.load(mica::kAcquire); },
                                 nullptr, sched::kInfinite);
    // At most a third of a CPU: the pause is at least twice the last
    // collection's length (and at most kMaxPauseNs, so garbage never waits
    // long).
    uint64_t pause = g_last_duration_ns.load(mica::kRelaxed) * 2;
    sched::Sleep(pause < kMinPauseNs ? kMinPauseNs : pause > kMaxPauseNs ? kMaxPauseNs : pause);
    g_kicked.store(false, mica::kRelease);
    MaybeCollect(/*force=*/true);
  }
}

ChannelGc::Stats ChannelGc::GetStats() {
  Stats s = g_stats;
  IrqGuard g(g_inflight_lock);
  s.in_flight = g_in_flight_total.load(mica::kRelaxed);
  return s;
}

bool ChannelGc::Busy() {
  return g_running.load(mica::kAcquire) || g_kicked.load(mica::kAcquire);
}
