// Message waits and deferred writes: BeginMessageWait's packets bring the
// channel's next message (TakeMessage), a message nobody takes is dropped
// with its handles, more queued messages are the handler's to read; a
// DeferWrite goes with the loop's next wait (in order, its error
// reported), and RunOnce, Run, FlushWrite, FlushCurrentWrite and Shutdown
// write what is deferred.
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <string.h>

#include "system/ulib/async/test/test.h"

using mica::async::Loop;

namespace {

constexpr mica_signals_t kSignals = MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED;

bool MakePair(mica::Channel* a, mica::Channel* b) {
  return mica::Channel::Create(0, a, b) == MICA_OK;
}

// Reads one message of up to 64 bytes from `ch`: its size, or -1.
int ReadSize(const mica::Channel& ch, uint8_t* buf) {
  uint32_t nb = 0;
  mica_status_t s = ch.read(0, buf, nullptr, 64, 0, &nb, nullptr);
  return s == MICA_OK ? static_cast<int>(nb) : -1;
}

}  // namespace

TEST(message_wait_brings_the_message_and_its_handles) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int calls = 0;
  bool took = false, took_twice = false;
  uint8_t got[16] = {};
  uint32_t got_bytes = 0, got_handles = 0;
  mica_handle_t handle = MICA_HANDLE_INVALID;
  mica_signals_t seen = 0;
  CHECK_OK(loop.BeginMessageWait(a.get(), kSignals, [&](mica_status_t s, mica_signals_t observed) {
    if (s != MICA_OK) {
      return;
    }
    calls++;
    seen = observed;
    Loop::Message m;
    took = loop.TakeMessage(&m);
    if (took) {
      got_bytes = m.num_bytes;
      got_handles = m.num_handles;
      memcpy(got, m.bytes, m.num_bytes < sizeof(got) ? m.num_bytes : sizeof(got));
      handle = m.num_handles > 0 ? m.handles[0] : MICA_HANDLE_INVALID;
    }
    Loop::Message again;
    took_twice = loop.TakeMessage(&again);
  }));
  mica_handle_t dup = MICA_HANDLE_INVALID;
  CHECK_OK(mica_handle_duplicate(ev.get(), MICA_RIGHT_SAME_RIGHTS, &dup));
  const uint8_t msg[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CHECK_OK(b.write(0, msg, sizeof(msg), &dup, 1));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
  CHECK(took);
  CHECK(!took_twice);
  CHECK_EQ(got_bytes, sizeof(msg));
  CHECK_EQ(memcmp(got, msg, sizeof(msg)), 0);
  CHECK_EQ(got_handles, 1);
  CHECK_EQ(seen & MICA_CHANNEL_READABLE, 0);  // nothing else queued
  // The handle is the handler's now: a live handle to the event.
  CHECK_EQ(async_test::HandleCount(ev.get()), 2);
  CHECK_OK(mica_handle_close(handle));
  CHECK_EQ(async_test::HandleCount(ev.get()), 1);
}

TEST(message_nobody_takes_is_dropped_with_its_handles) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int calls = 0;
  CHECK_OK(loop.BeginMessageWait(
      a.get(), kSignals, [&](mica_status_t s, mica_signals_t) { calls += s == MICA_OK ? 1 : 0; }));
  mica_handle_t dup = MICA_HANDLE_INVALID;
  CHECK_OK(mica_handle_duplicate(ev.get(), MICA_RIGHT_SAME_RIGHTS, &dup));
  uint8_t msg[4] = {9, 9, 9, 9};
  CHECK_OK(b.write(0, msg, sizeof(msg), &dup, 1));
  CHECK_EQ(async_test::HandleCount(ev.get()), 2);
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
  CHECK_EQ(async_test::HandleCount(ev.get()), 1);  // closed with the message
  uint8_t buf[64];
  CHECK_EQ(ReadSize(a, buf), -1);  // and it is not queued any more
}

TEST(messages_left_queued_are_the_handlers_to_read) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  int calls = 0, with_message = 0, read_more = 0;
  CHECK_OK(loop.BeginMessageWait(a.get(), kSignals, [&](mica_status_t s, mica_signals_t observed) {
    if (s != MICA_OK) {
      return;
    }
    calls++;
    Loop::Message m;
    if (loop.TakeMessage(&m)) {
      with_message++;
    }
    if ((observed & MICA_CHANNEL_READABLE) != 0) {
      uint8_t buf[64];
      while (ReadSize(a, buf) >= 0) {
        read_more++;
      }
    }
  }));
  uint8_t msg[8] = {};
  for (int i = 0; i < 3; i++) {
    CHECK_OK(b.write(0, msg, sizeof(msg), nullptr, 0));
  }
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
  CHECK_EQ(with_message, 1);
  CHECK_EQ(read_more, 2);
  // The queue was emptied: the next message makes a new packet, with it.
  CHECK_OK(b.write(0, msg, sizeof(msg), nullptr, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 2);
  CHECK_EQ(with_message, 2);
}

TEST(deferred_write_goes_with_the_next_wait_in_order) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  int seen_in_handler = -2;
  CHECK_OK(loop.BeginMessageWait(a.get(), kSignals, [&](mica_status_t s, mica_signals_t) {
    if (s != MICA_OK) {
      return;
    }
    Loop::Message m;
    loop.TakeMessage(&m);
    const uint8_t one[3] = {1, 1, 1};
    const uint8_t two[5] = {2, 2, 2, 2, 2};
    loop.DeferWrite(a.get(), one, sizeof(one), nullptr, 0, nullptr, nullptr);
    loop.DeferWrite(a.get(), two, sizeof(two), nullptr, 0, nullptr, nullptr);
    uint8_t buf[64];
    seen_in_handler = ReadSize(b, buf);  // the first went when the second was deferred
  }));
  uint8_t msg[4] = {};
  CHECK_OK(b.write(0, msg, sizeof(msg), nullptr, 0));
  CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));  // writes what is deferred before it returns
  CHECK_EQ(seen_in_handler, 3);
  uint8_t buf[64];
  CHECK_EQ(ReadSize(b, buf), 5);
  CHECK_EQ(ReadSize(b, buf), -1);
}

TEST(deferred_write_waits_for_the_next_wait_or_a_flush) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  int before = -2, after_flush = -2;
  CHECK_OK(loop.BeginMessageWait(a.get(), kSignals, [&](mica_status_t s, mica_signals_t) {
    if (s != MICA_OK) {
      return;
    }
    Loop::Message m;
    loop.TakeMessage(&m);
    const uint8_t reply[7] = {};
    loop.DeferWrite(a.get(), reply, sizeof(reply), nullptr, 0, nullptr, nullptr);
    uint8_t buf[64];
    before = ReadSize(b, buf);
    Loop::FlushCurrentWrite();  // what a handler does before it blocks
    after_flush = ReadSize(b, buf);
  }));
  uint8_t msg[4] = {};
  CHECK_OK(b.write(0, msg, sizeof(msg), nullptr, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(before, -1);
  CHECK_EQ(after_flush, 7);
  // FlushWrite of another channel leaves a deferred write alone.
  mica::Channel c, d;
  CHECK(MakePair(&c, &d));
  const uint8_t x[2] = {};
  CHECK_OK(loop.DeferWrite(a.get(), x, sizeof(x), nullptr, 0, nullptr, nullptr));
  CHECK_OK(loop.FlushWrite(c.get()));
  uint8_t buf[64];
  CHECK_EQ(ReadSize(b, buf), -1);
  CHECK_OK(loop.FlushWrite(a.get()));
  CHECK_EQ(ReadSize(b, buf), 2);
}

namespace {

struct ErrorSeen {
  int calls = 0;
  mica_status_t status = MICA_OK;
};

void OnError(void* context, mica_status_t status) {
  auto* e = static_cast<ErrorSeen*>(context);
  e->calls++;
  e->status = status;
}

}  // namespace

TEST(deferred_write_error_is_reported_and_handles_consumed) {
  Loop loop;
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  b.reset();  // a's peer is gone
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  mica_handle_t dup = MICA_HANDLE_INVALID;
  CHECK_OK(mica_handle_duplicate(ev.get(), MICA_RIGHT_SAME_RIGHTS, &dup));
  ErrorSeen seen;
  const uint8_t x[4] = {};
  CHECK_OK(loop.DeferWrite(a.get(), x, sizeof(x), &dup, 1, OnError, &seen));
  CHECK_EQ(seen.calls, 0);
  CHECK_OK(loop.RunUntilIdle());  // the next wait writes it and reports the failure
  CHECK_EQ(seen.calls, 1);
  CHECK_EQ(seen.status, MICA_ERR_PEER_CLOSED);
  CHECK_EQ(async_test::HandleCount(ev.get()), 1);  // the message's handle was consumed
  // FlushWrite returns the status instead (the handler does not run).
  CHECK_OK(loop.DeferWrite(a.get(), x, sizeof(x), nullptr, 0, OnError, &seen));
  CHECK_EQ(loop.FlushWrite(MICA_HANDLE_INVALID), MICA_ERR_PEER_CLOSED);
  CHECK_EQ(seen.calls, 1);
}

TEST(run_and_shutdown_write_what_is_deferred) {
  mica::Channel a, b;
  CHECK(MakePair(&a, &b));
  {
    Loop loop;
    CHECK_OK(loop.PostTask([&] {
      const uint8_t x[6] = {};
      loop.DeferWrite(a.get(), x, sizeof(x), nullptr, 0, nullptr, nullptr);
      loop.Quit();
    }));
    CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
    uint8_t buf[64];
    CHECK_EQ(ReadSize(b, buf), 6);
    // Deferred after the loop stopped: Shutdown (the destructor) writes it.
    const uint8_t y[9] = {};
    CHECK_OK(loop.DeferWrite(a.get(), y, sizeof(y), nullptr, 0, nullptr, nullptr));
    CHECK_EQ(ReadSize(b, buf), -1);
  }
  uint8_t buf[64];
  CHECK_EQ(ReadSize(b, buf), 9);
}
