// bin/component-manager's arguments (pure, host-tested):
//   --root=meta/x.cm          the root manifest (default meta/root.cm)
//   --exit-with=/moniker      when that component's process ends, stop
//                             everything and exit (tests)
//   --stop-timeout-ms=N       Lifecycle.Stop, then a kill after N ms
//                             (default 3000; 0..4294967295)
#pragma once

#include <stdint.h>

namespace cm {

struct Options {
  const char* root = "meta/root.cm";
  const char* exit_with = nullptr;
  uint32_t stop_timeout_ms = 3000;
};

// Applies one argument: nullptr, or `arg` itself if it is not one of the
// above (an empty root, a moniker not starting with '/', a timeout that is
// not a decimal number that fits) and *opts is unchanged.
const char* ParseArgument(const char* arg, Options* opts);

}  // namespace cm
