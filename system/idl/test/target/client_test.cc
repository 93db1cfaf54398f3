// bin/idl-test: generated clients against the generated Echo server running
// on a loop in another thread: every method kind (two-way, one-way, event,
// a reply sent later), handles with their rights, sync and async clients.
#include <idl/idltest_ipc.h>
#include <mica/async/loop.h>
#include <string.h>

#include <utility>

#include "system/idl/test/target/echo_server.h"
#include "system/idl/test/target/test.h"

namespace idl_target {
namespace {

using idl::idltest::Color;
using idl::idltest::EchoAsyncClient;
using idl::idltest::EchoEventHandler;
using idl::idltest::EchoSyncClient;
using idl::idltest::Everything;
using idl::idltest::Flags;

constexpr mica_duration_t kSecond = 1'000'000'000;

TEST(sync_two_way) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  for (int32_t i = -3; i < 40; i += 7) {
    Echo::AddRequest req;
    req.a = i;
    req.b = 0x7FFFFFFF;
    Echo::AddResponse resp;
    CHECK_EQ(client.Add(req, &resp), MICA_OK);
    CHECK_EQ(resp.sum, int64_t{i} + 0x7FFFFFFF);
  }
  Echo::PingRequest ping;
  Echo::PingResponse pong;
  CHECK_EQ(client.Ping(ping, &pong), MICA_OK);
}

TEST(sync_echo_everything_with_handles) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  Echo::EchoRequest req;
  Everything& v = req.value;
  v.b = true;
  v.i8 = -8;
  v.u64 = 0xFEEDFACECAFEBEEFull;
  v.color = Color::GREEN;
  v.flags = Flags::B | Flags::C;
  CHECK(v.name.Set("mica"));
  v.nick.Emplace().Set("m");
  v.points.Push({3, 4});
  v.names.Push({});
  v.names[0].Set("abc");
  v.maybe.Emplace().label.Emplace().Set("deep");
  CHECK_EQ(mica::Vmo::Create(8192, 0, &v.vmo), MICA_OK);
  mica::Event e0;
  CHECK_EQ(mica::Event::Create(0, &e0), MICA_OK);
  v.events.Push(std::move(e0));
  v.matrix[1][2] = -12;
  v.corners[1] = {5, 6};
  CHECK(v.tags[1].Set("\xE2\x82\xAC"));  // U+20AC, 3 bytes of UTF-8
  v.switches[2] = true;
  mica::Event e1;
  CHECK_EQ(mica::Event::Create(0, &e1), MICA_OK);
  v.spare[1] = std::move(e1);
  Echo::EchoResponse resp;
  CHECK_EQ(client.Echo(req, &resp), MICA_OK);
  CHECK(!req.value.vmo.is_valid());  // moved into the message
  const Everything& r = resp.value;
  CHECK(r.b);
  CHECK_EQ(r.i8, -8);
  CHECK(r.u64 == 0xFEEDFACECAFEBEEFull);
  CHECK(r.color == Color::GREEN);
  CHECK(r.flags == (Flags::B | Flags::C));
  CHECK(r.name.Equals("mica"));
  CHECK(r.nick.has_value && r.nick.value.Equals("m"));
  CHECK_EQ(r.points.count, 1u);
  CHECK_EQ(r.points[0].y, 4);
  CHECK(r.names.count == 1 && r.names[0].Equals("abc"));
  CHECK(r.maybe.has_value && r.maybe.value.label.has_value);
  CHECK(r.maybe.value.label.value.Equals("deep"));
  CHECK(!r.words.has_value);
  uint64_t size = 0;
  CHECK_EQ(r.vmo.get_size(&size), MICA_OK);
  CHECK_EQ(size, 8192u);
  CHECK_EQ(r.events.count, 1u);
  CHECK_EQ(r.events[0].signal(0, MICA_SIGNAL_USER0), MICA_OK);
  CHECK_EQ(r.matrix[1][2], -12);
  CHECK_EQ(r.corners[1].y, 6);
  CHECK(r.tags[0].size == 0 && r.tags[1].Equals("\xE2\x82\xAC"));
  CHECK(!r.switches[0] && r.switches[2]);
  CHECK(!r.spare[0].is_valid() && r.spare[1].is_valid());
}

TEST(sync_client_refuses_to_send_a_string_that_is_not_utf8) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  Echo::EchoRequest req;
  req.value.color = Color::RED;
  CHECK(req.value.name.Set("\xED\xA0\x80"));  // the surrogate U+D800
  Echo::EchoResponse resp;
  CHECK_EQ(client.Echo(req, &resp), MICA_ERR_INVALID_ARGS);
  Echo::PingRequest ping;
  Echo::PingResponse pong;
  CHECK_EQ(client.Ping(ping, &pong), MICA_OK);  // nothing was sent: the connection is fine
}

struct Events : EchoEventHandler {
  void Happened(Echo::HappenedEvent& event) override {
    code = event.code;
    ok = event.what.Equals("notified");
    ++count;
  }
  uint32_t code = 0;
  bool ok = false;
  int count = 0;
};

TEST(sync_one_way_and_event) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  Events events;
  for (uint32_t code = 1; code <= 3; ++code) {
    Echo::NotifyRequest note;
    note.code = code * 11;
    CHECK_EQ(client.Notify(note), MICA_OK);
    CHECK_EQ(client.HandleOneEvent(events, mica::async::Loop::Now() + 5 * kSecond), MICA_OK);
    CHECK_EQ(events.code, code * 11);
    CHECK(events.ok);
  }
  CHECK_EQ(events.count, 3);
}

TEST(sync_handle_rights_are_checked) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  Echo::TakeVmoRequest req;
  CHECK_EQ(mica::Vmo::Create(4096, 0, &req.vmo), MICA_OK);
  Echo::TakeVmoResponse resp;
  CHECK_EQ(client.TakeVmo(req, &resp), MICA_OK);
  CHECK_EQ(resp.size, 4096u);
  // A VMO without WRITE: the server refuses the call and the connection.
  mica::Vmo vmo;
  CHECK_EQ(mica::Vmo::Create(4096, 0, &vmo), MICA_OK);
  CHECK_EQ(vmo.replace(MICA_RIGHT_READ | MICA_RIGHT_TRANSFER, &req.vmo), MICA_OK);
  int before = h.closed.load();
  CHECK_EQ(client.TakeVmo(req, &resp), MICA_ERR_ACCESS_DENIED);
  CHECK_EQ(h.WaitServerClosed(before), MICA_ERR_ACCESS_DENIED);
  Echo::PingRequest ping;
  Echo::PingResponse pong;
  CHECK_EQ(client.Ping(ping, &pong), MICA_ERR_PEER_CLOSED);
}

TEST(server_sees_client_close) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  int before = h.closed.load();
  ch.reset();
  CHECK_EQ(h.WaitServerClosed(before), MICA_ERR_PEER_CLOSED);
}

TEST(server_close_with_epitaph) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  EchoSyncClient client(std::move(ch));
  Echo::ShutdownRequest bye;
  int before = h.closed.load();
  CHECK_EQ(client.Shutdown(bye), MICA_OK);
  CHECK_EQ(h.WaitServerClosed(before), MICA_OK);
  Events events;
  CHECK_EQ(client.HandleOneEvent(events, mica::async::Loop::Now() + 5 * kSecond),
           MICA_ERR_PEER_CLOSED);
}

// Runs `loop` until `done` or 5 s passed.
bool RunUntil(mica::async::Loop& loop, const bool& done) {
  mica_time_t deadline = mica::async::Loop::Now() + 5 * kSecond;
  while (!done && mica::async::Loop::Now() < deadline) {
    loop.RunOnce(deadline);
  }
  return done;
}

TEST(async_calls_and_a_later_reply) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  mica::async::Loop loop;
  Events events;
  EchoAsyncClient client(&loop, std::move(ch), &events);
  CHECK_EQ(client.Begin(), MICA_OK);
  int order = 0;
  int later_at = 0;
  int add_at = 0;
  bool later_done = false;
  Echo::LaterRequest later;
  later.delay_ms = 30;
  CHECK_EQ(client.Later(later,
                        [&](mica_status_t s, Echo::LaterResponse* r) {
                          later_done = s == MICA_OK && r != nullptr && r->done;
                          later_at = ++order;
                        }),
           MICA_OK);
  Echo::AddRequest add;
  add.a = 40;
  add.b = 2;
  int64_t sum = 0;
  CHECK_EQ(client.Add(add,
                      [&](mica_status_t s, Echo::AddResponse* r) {
                        sum = s == MICA_OK ? r->sum : -1;
                        add_at = ++order;
                      }),
           MICA_OK);
  Echo::NotifyRequest note;
  note.code = 9;
  CHECK_EQ(client.Notify(note), MICA_OK);
  CHECK(RunUntil(loop, later_done));
  CHECK_EQ(sum, 42);
  CHECK_EQ(add_at, 1);  // answered while Later was still pending
  CHECK_EQ(later_at, 2);
  bool got_event = false;
  for (int i = 0; i < 100 && events.count == 0; ++i) {
    loop.RunOnce(mica::async::Loop::Now() + kSecond / 20);
  }
  got_event = events.count == 1 && events.code == 9;
  CHECK(got_event);
}

TEST(async_pending_calls_fail_when_the_server_goes) {
  Harness h;
  mica::Channel ch;
  CHECK_EQ(h.Connect(&ch), MICA_OK);
  mica::async::Loop loop;
  EchoAsyncClient client(&loop, std::move(ch));
  mica_status_t closed_with = MICA_OK;
  bool closed = false;
  client.set_error_handler([&](mica_status_t s) {
    closed_with = s;
    closed = true;
  });
  CHECK_EQ(client.Begin(), MICA_OK);
  mica_status_t ping_status = MICA_OK;
  Echo::PingRequest ping;
  Echo::ShutdownRequest bye;
  CHECK_EQ(client.Shutdown(bye), MICA_OK);
  // On more than one CPU the server may read Shutdown and close before the
  // Ping is written: then the call fails at once with PEER_CLOSED and its
  // callback never runs. Otherwise the Ping is pending when the server
  // goes, and its callback must get PEER_CLOSED.
  mica_status_t ping_call =
      client.Ping(ping, [&](mica_status_t s, Echo::PingResponse*) { ping_status = s; });
  CHECK(ping_call == MICA_OK || ping_call == MICA_ERR_PEER_CLOSED);
  CHECK(RunUntil(loop, closed));
  CHECK_EQ(closed_with, MICA_ERR_PEER_CLOSED);
  CHECK_EQ(ping_status, ping_call == MICA_OK ? MICA_ERR_PEER_CLOSED : MICA_OK);
}

}  // namespace
}  // namespace idl_target
