// In-kernel tests of channel messages: a message owns the handles it
// carries, so dropping one (any path, no explicit cleanup call) releases
// their handle counts and the objects react as to a closed handle.
#include <mica/types.h>

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/tests/ktest.h"

namespace {

// A message carrying one handle to `object`, in flight as a write leaves
// it (the handle count taken, counted by the collector).
bool MessageCarrying(const mica::RefPtr<Dispatcher>& object, ChannelMessagePtr* out) {
  auto created = ChannelMessage::Create(KernelAllocator(), 4, 1);
  if (!created.ok()) {
    return false;
  }
  ChannelMessagePtr msg = mica::Move(created.value());
  __builtin_memset(msg->data(), 0, 4);
  object->AddHandleRef();
  HandleEntry e;
  e.koid = object->koid();
  e.rights = MICA_DEFAULT_CHANNEL_RIGHTS;
  e.object = object;
  msg->handles()[0] = mica::Move(e);
  ChannelGc::HandlesEnteredMessage(msg.get());
  *out = mica::Move(msg);
  return true;
}

}  // namespace

// The message holds the only handle to one end of a channel; dropping the
// message (its ChannelMessagePtr going out of scope) closes that end, so
// the other end sees PEER_CLOSED.
KTEST(channel_dropped_message_releases_its_handles) {
  mica::RefPtr<Dispatcher> a, b;
  KEXPECT(ChannelDispatcher::CreatePair(&a, &b));
  b->AddHandleRef();  // this test holds b like a handle
  const uint64_t in_flight = ChannelGc::GetStats().in_flight;
  {
    ChannelMessagePtr msg;
    KEXPECT(MessageCarrying(a, &msg));
    KEXPECT_EQ(a->handle_count(), 1u);
    KEXPECT_EQ(ChannelGc::GetStats().in_flight, in_flight + 1);
    KEXPECT_EQ(b->signals() & MICA_CHANNEL_PEER_CLOSED, 0u);
  }  // dropped here, with no explicit release
  KEXPECT_EQ(b->signals() & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  KEXPECT_EQ(a->handle_count(), 0u);
  KEXPECT_EQ(ChannelGc::GetStats().in_flight, in_flight);
  b->RemoveHandleRef();
}

// The same through reset() and through move-assignment over a message.
KTEST(channel_reset_message_releases_its_handles) {
  mica::RefPtr<Dispatcher> a, b, c, d;
  KEXPECT(ChannelDispatcher::CreatePair(&a, &b));
  KEXPECT(ChannelDispatcher::CreatePair(&c, &d));
  b->AddHandleRef();
  d->AddHandleRef();
  ChannelMessagePtr msg;
  KEXPECT(MessageCarrying(a, &msg));
  ChannelMessagePtr other;
  KEXPECT(MessageCarrying(c, &other));
  msg = mica::Move(other);  // drops the message carrying a
  KEXPECT_EQ(b->signals() & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  KEXPECT_EQ(d->signals() & MICA_CHANNEL_PEER_CLOSED, 0u);
  msg.reset();  // drops the message carrying c
  KEXPECT_EQ(d->signals() & MICA_CHANNEL_PEER_CLOSED, MICA_CHANNEL_PEER_CLOSED);
  b->RemoveHandleRef();
  d->RemoveHandleRef();
}
