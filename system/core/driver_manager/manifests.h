// The driver manifests the manager matches nodes against (docs/drivers.md,
// "Manifests"): every bootfs file `drivers/*.manifest`, or, on a test boot
// (drivers.test=<set>), every `test/drivers/common/*.manifest` and
// `test/drivers/<set>/*.manifest` instead. Each is checked (bootfs CRC,
// lib/manifest.h's reader); a bad one is logged and skipped:
//   driver-manager: bad manifest <file>: <message>
// The parsed manifests point into the mapped bootfs, which stays mapped.
#pragma once

#include <stdint.h>

#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/lib/manifest.h"
#include "system/core/driver_manager/lib/match.h"

namespace driver_manager {

inline constexpr uint32_t kMaxManifests = 128;

class ManifestSet {
 public:
  // Loads the system's manifests (`test_set` "") or a test set's. Returns
  // false if `test_set` names no set in the bootfs.
  bool Load(const bootfs::Image& fs, const char* test_set);
  uint32_t count() const { return count_; }
  // The manifest that binds `node` (dm::MatchNode), or nullptr: unbound.
  const dm::Manifest* Match(const dm::NodeProperties& node) const;

 private:
  uint32_t LoadDir(const bootfs::Image& fs, const char* prefix);

  dm::Manifest manifests_[kMaxManifests];
  uint32_t count_ = 0;
};

}  // namespace driver_manager
