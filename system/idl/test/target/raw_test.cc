// bin/idl-test: malformed messages written raw to the generated Echo server
// must make it close that connection with an epitaph naming the error
// (and report it to its error handler); malformed replies make a client's
// call fail.
#include <idl/idltest_ipc.h>
#include <mica/async/loop.h>
#include <string.h>

#include <utility>

#include "system/idl/test/target/echo_server.h"
#include "system/idl/test/target/test.h"

namespace idl_target {
namespace {

using idl::idltest::Color;
using mica::idl::kHeaderSize;

constexpr mica_duration_t kSecond = 1'000'000'000;

struct Raw {
  alignas(8) uint8_t bytes[1024] = {};
  uint32_t size = 0;
  mica_handle_t handles[4] = {};
  uint32_t num_handles = 0;
};

template <typename T>
Raw Encode(uint32_t txid, uint64_t ordinal, T& body) {
  Raw r;
  mica::idl::Encoder e(r.bytes, sizeof(r.bytes), r.handles, 4);
  mica::idl::EncodeMessage(e, txid, Echo::kVersion, ordinal, body);
  r.size = e.num_bytes();
  r.num_handles = e.num_handles();
  e.Release();
  return r;
}

Raw AddMessage() {
  Echo::AddRequest add;
  add.a = 1;
  add.b = 2;
  return Encode(7, Echo::kAddOrdinal, add);
}

Raw EchoMessage() {
  Echo::EchoRequest req;
  req.value.color = Color::RED;
  req.value.name.Set("x");
  return Encode(7, Echo::kEchoOrdinal, req);
}

template <typename T>
void Put(Raw& r, uint32_t offset, T value) {
  memcpy(r.bytes + offset, &value, sizeof(value));
}

// Sends `r` on a fresh connection; the server must close it with `want`,
// both in its epitaph and to its error handler.
void ExpectRejected(const char* what, Raw r, mica_status_t want) {
  Harness h;
  mica::Channel ch;
  if (h.Connect(&ch) != MICA_OK) {
    Fail(__FILE__, __LINE__, "%s: connect", what);
    return;
  }
  int before = h.closed.load();
  mica_status_t s = ch.write(0, r.bytes, r.size, r.handles, r.num_handles);
  if (s != MICA_OK) {
    Fail(__FILE__, __LINE__, "%s: write %d", what, s);
    return;
  }
  mica_status_t closed = h.WaitServerClosed(before);
  alignas(8) uint8_t reply[64];
  uint32_t n = 0;
  uint32_t nh = 0;
  s = ch.read(0, reply, nullptr, sizeof(reply), 0, &n, &nh);
  int32_t epitaph = 0;
  mica::idl::MessageHeader header{};
  if (s == MICA_OK && n == mica::idl::kEpitaphSize) {
    memcpy(&header, reply, sizeof(header));
    memcpy(&epitaph, reply + kHeaderSize, sizeof(epitaph));
  }
  if (closed != want || s != MICA_OK || header.ordinal != mica::idl::kEpitaphOrdinal ||
      epitaph != want) {
    Fail(__FILE__, __LINE__, "%s: closed %d read %d epitaph %d, want %d", what, closed, s, epitaph,
         want);
    return;
  }
  mica_signals_t observed = 0;
  ch.wait_one(MICA_CHANNEL_PEER_CLOSED, 0, &observed);
  if ((observed & MICA_CHANNEL_PEER_CLOSED) == 0) {
    Fail(__FILE__, __LINE__, "%s: the server kept the connection open", what);
  }
}

TEST(server_rejects_bad_headers) {
  Raw r = AddMessage();
  Put<uint8_t>(r, 4, 0x4E);
  ExpectRejected("magic", r, MICA_ERR_INVALID_ARGS);
  r = AddMessage();
  Put<uint8_t>(r, 5, 1);
  ExpectRejected("flags", r, MICA_ERR_INVALID_ARGS);
  r = AddMessage();
  r.size = 12;
  ExpectRejected("short header", r, MICA_ERR_INVALID_ARGS);
}

TEST(server_refuses_other_versions_and_protocols) {
  Raw r = AddMessage();
  Put<uint16_t>(r, 6, Echo::kVersion + 1);
  ExpectRejected("version", r, MICA_ERR_NOT_SUPPORTED);
  r = AddMessage();
  Put<uint64_t>(r, 8, mica::idl::MakeOrdinal(Echo::kId, 99));
  ExpectRejected("unknown method", r, MICA_ERR_NOT_SUPPORTED);
  r = AddMessage();
  Put<uint64_t>(r, 8, mica::idl::MakeOrdinal(Echo::kId ^ 1, 2));
  ExpectRejected("other protocol", r, MICA_ERR_NOT_SUPPORTED);
  r = AddMessage();
  Put<uint64_t>(r, 8, mica::idl::MakeOrdinal(Echo::kId, 4));  // an event's ordinal
  ExpectRejected("event ordinal", r, MICA_ERR_NOT_SUPPORTED);
}

TEST(server_rejects_bad_bodies) {
  Raw r = AddMessage();
  r.size -= 4;
  ExpectRejected("short body", r, MICA_ERR_INVALID_ARGS);
  r = AddMessage();
  r.size += 8;
  ExpectRejected("trailing bytes", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint8_t>(r, kHeaderSize + 0, 2);
  ExpectRejected("bool 2", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint8_t>(r, kHeaderSize + 16, 0);
  ExpectRejected("unknown enum", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint16_t>(r, kHeaderSize + 18, 0x4);
  ExpectRejected("unknown bits", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint64_t>(r, kHeaderSize + 24, 17);
  ExpectRejected("string over its maximum", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint8_t>(r, kHeaderSize + 17, 1);
  ExpectRejected("padding", r, MICA_ERR_INVALID_ARGS);
  // "x", the first out-of-line block, as 0xFF: never in UTF-8.
  r = EchoMessage();
  Put<uint8_t>(r, kHeaderSize + Echo::EchoRequest::kWireSize, 0xFF);
  ExpectRejected("string not UTF-8", r, MICA_ERR_INVALID_ARGS);
  r = EchoMessage();
  Put<uint8_t>(r, kHeaderSize + 248 + 1, 2);  // Everything.switches[1]
  ExpectRejected("bool 2 in an array", r, MICA_ERR_INVALID_ARGS);
}

TEST(server_rejects_bad_txids) {
  Raw r = AddMessage();
  Put<uint32_t>(r, 0, 0);
  ExpectRejected("two-way without txid", r, MICA_ERR_INVALID_ARGS);
  Echo::NotifyRequest note;
  r = Encode(5, Echo::kNotifyOrdinal, note);
  ExpectRejected("one-way with txid", r, MICA_ERR_INVALID_ARGS);
}

TEST(server_rejects_bad_handles) {
  Raw r = AddMessage();
  mica::Event extra;
  mica::Event::Create(0, &extra);
  r.handles[0] = extra.release();
  r.num_handles = 1;
  ExpectRejected("extra handle", r, MICA_ERR_INVALID_ARGS);
  Echo::TakeVmoRequest take;
  mica::Event not_a_vmo;
  mica::Event::Create(0, &not_a_vmo);
  take.vmo.reset(not_a_vmo.release());
  ExpectRejected("wrong type", Encode(5, Echo::kTakeVmoOrdinal, take), MICA_ERR_WRONG_TYPE);
  mica::Vmo::Create(4096, 0, &take.vmo);
  r = Encode(5, Echo::kTakeVmoOrdinal, take);
  mica::idl::CloseHandles(r.handles, r.num_handles);
  r.num_handles = 0;  // marked present, not sent
  ExpectRejected("missing handle", r, MICA_ERR_INVALID_ARGS);
}

TEST(server_rejects_oversized_messages) {
  Raw r = EchoMessage();
  r.size = Echo::EchoRequest::kMaxBytes + 8 <= sizeof(r.bytes) ? Echo::EchoRequest::kMaxBytes + 8
                                                               : sizeof(r.bytes);
  ExpectRejected("oversized", r, MICA_ERR_INVALID_ARGS);
}

// A raw "server" thread: answers one call with a corrupted reply: trailing
// bytes (bigger than any Add reply), or (`wrong_ordinal`) a well-formed
// reply of another method.
struct Replier {
  mica::Channel* ch;
  bool wrong_ordinal;
};

int BadReplier(void* arg) {
  auto* r = static_cast<Replier*>(arg);
  mica::Channel* ch = r->ch;
  mica_signals_t observed = 0;
  ch->wait_one(MICA_CHANNEL_READABLE, mica::async::Loop::Now() + 5 * kSecond, &observed);
  alignas(8) uint8_t bytes[64];
  uint32_t n = 0;
  uint32_t nh = 0;
  if (ch->read(0, bytes, nullptr, sizeof(bytes), 0, &n, &nh) != MICA_OK) {
    return 1;
  }
  Echo::AddResponse resp;
  resp.sum = 3;
  uint32_t txid = 0;
  memcpy(&txid, bytes, 4);
  Raw out = Encode(txid, r->wrong_ordinal ? Echo::kPingOrdinal : Echo::kAddOrdinal, resp);
  if (!r->wrong_ordinal) {
    out.size += 8;  // trailing bytes
  }
  return ch->write(0, out.bytes, out.size, nullptr, 0) == MICA_OK ? 0 : 1;
}

TEST(sync_client_rejects_a_malformed_reply) {
  for (bool wrong_ordinal : {false, true}) {
    mica::Channel a;
    mica::Channel b;
    CHECK_EQ(mica::Channel::Create(0, &a, &b), MICA_OK);
    Replier replier{&b, wrong_ordinal};
    Thread t;
    CHECK_EQ(StartThread(&t, BadReplier, &replier), MICA_OK);
    idl::idltest::EchoSyncClient client(std::move(a));
    Echo::AddRequest add;
    Echo::AddResponse resp;
    mica_status_t s = client.Add(add, &resp);
    JoinThread(&t);
    CHECK_EQ(s, MICA_ERR_INVALID_ARGS);
  }
}

TEST(async_client_rejects_a_malformed_reply) {
  mica::Channel a;
  mica::Channel b;
  CHECK_EQ(mica::Channel::Create(0, &a, &b), MICA_OK);
  mica::async::Loop loop;
  idl::idltest::EchoAsyncClient client(&loop, std::move(a));
  mica_status_t closed_with = MICA_OK;
  client.set_error_handler([&](mica_status_t s) { closed_with = s; });
  CHECK_EQ(client.Begin(), MICA_OK);
  mica_status_t call_status = MICA_OK;
  bool done = false;
  Echo::AddRequest add;
  CHECK_EQ(client.Add(add,
                      [&](mica_status_t s, Echo::AddResponse* r) {
                        call_status = r == nullptr ? s : MICA_ERR_INTERNAL;
                        done = true;
                      }),
           MICA_OK);
  Replier replier{&b, false};
  CHECK_EQ(BadReplier(&replier), 0);
  mica_time_t deadline = mica::async::Loop::Now() + 5 * kSecond;
  while (!done && mica::async::Loop::Now() < deadline) {
    loop.RunOnce(deadline);
  }
  CHECK(done);
  CHECK_EQ(call_status, MICA_ERR_INVALID_ARGS);
  CHECK_EQ(closed_with, MICA_ERR_INVALID_ARGS);
  CHECK(!client.is_open());
}

}  // namespace
}  // namespace idl_target
