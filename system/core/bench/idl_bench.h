// The IDL round trip of bin/bench (docs/performance.md): a typed sync client
// call (idltest Echo.Add over channel_call) answered by the generated server
// dispatching on a mica::async::Loop in another process.
#pragma once

#include <mica/types.h>
#include <stdint.h>

namespace bench {

// The server process: serves Echo on `channel` until the client goes.
int IdlServer(mica_handle_t channel);
// `n` Add calls through `channel` (not consumed); false on any failure.
bool IdlCalls(mica_handle_t channel, uint32_t n);

}  // namespace bench
