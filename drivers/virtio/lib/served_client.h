// The lifetime of one client connection of a virtio driver's IDL server
// (virtio-blk, -rng, -net). A server object `S` has `bool closed` (its
// client has gone) and `uint32_t pending` (requests of it the device still
// holds: their completers live in the driver's queues). It is deleted once
// both say it is done, whichever comes last:
//   ServeClient   makes S(device, loop, channel) for a new client and, when
//                 the connection ends, marks it closed and deletes it (on a
//                 later loop turn: the error handler runs inside S's own
//                 dispatch) unless a request is still pending;
//   ReleaseRequest  one pending request was answered: deletes S if it was
//                 the last and the client has gone.
// Both run on the driver's loop thread only. User toolchain only.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/handle.h>
#include <mica/cpp/objects.h>
#include <mica/types.h>
#include <stdint.h>

namespace mica::virtio {

template <typename S, typename Device>
void ServeClient(Device* device, mica::async::Loop* loop, mica::Handle client) {
  auto* s = new S(device, loop, mica::Channel(client.release()));
  s->set_error_handler([s, loop](mica_status_t) {
    s->closed = true;
    if (s->pending == 0) {
      loop->PostTask([s] { delete s; });
    }
  });
  if (s->Begin() != MICA_OK) {
    delete s;
  }
}

template <typename S>
void ReleaseRequest(S* s) {
  if (--s->pending == 0 && s->closed) {
    delete s;
  }
}

}  // namespace mica::virtio
