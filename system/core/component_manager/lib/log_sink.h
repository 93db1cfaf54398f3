// How the component manager vouches for a log writer (docs/components.md,
// "Logs"; docs/logging.md, "What is trusted"), pure:
//
// - A route that ends at a provider's `log.Sink` is not handed over with
//   Outgoing.Connect like any other: the manager attaches the channel
//   through the same provider's `log.Admin` (AttachSink with the opening
//   component's log moniker and process koid), which the provider declares
//   in `capabilities` and exposes to nobody: only the manager, which holds
//   every component's Outgoing, reaches it. A provider that does not
//   declare log.Admin gets a plain Connect (its records then say
//   `unknown`).
// - A component's log moniker is its component moniker without the
//   leading '/': "/driver_manager" -> "driver_manager", "/run:hello-3" ->
//   "run:hello-3", "/core/net" -> "core/net" (so `log --moniker core`
//   matches both /core and /core/net); the root is "root".
#pragma once

#include <stddef.h>

#include "system/core/component_manager/lib/manifest.h"

namespace cm {

inline constexpr char kLogSink[] = "log.Sink";
inline constexpr char kLogAdmin[] = "log.Admin";

// Whether a route ending at `provider`'s capability `capability` is
// attached through the provider's log.Admin (see above).
bool AttachesLogSink(const Manifest* provider, const Str& capability);

// A bare program (Realm.Run's, no manifest) uses nothing but this: the
// log.Sink its collection is offered, if it is (`use: log.Sink` from
// parent at /svc/log.Sink).
Use ImplicitLogSinkUse();

// The log moniker of `moniker` in `out` (cut to size - 1 bytes, always
// terminated; size > 0): its length.
size_t LogMoniker(const char* moniker, char* out, size_t size);

}  // namespace cm
