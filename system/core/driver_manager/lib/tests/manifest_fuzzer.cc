// libFuzzer target: dm::ParseManifest on arbitrary bytes, then every
// accessor and a match of what it accepted against a fixed child node.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "system/core/driver_manager/lib/match.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy so ASan sees any read past the end.
  std::vector<uint8_t> copy(data, data + size);
  dm::Manifest m;
  dm::Error err;
  if (dm::ParseManifest(copy.data(), copy.size(), &m, &err) != dm::Status::kOk) {
    return 0;
  }
  size_t sum = strlen(m.name()) + strlen(m.binary());
  for (uint32_t i = 0; i < m.bind_count(); ++i) {
    sum += strlen(m.bind(i).compatible);
  }
  for (uint32_t i = 0; i < m.condition_count(); ++i) {
    const dm::Condition c = m.condition(i);
    sum += strlen(c.property) + (c.kind == dm::ConditionKind::kString ? strlen(c.string) : 0);
  }
  static const uint8_t kCompat[] = "virtio,device\0mica,fake-block";
  static const uint8_t kId[] = {0, 0, 0, 2};
  const dm::PropertyEntry props[] = {{"compatible", kCompat, sizeof(kCompat)},
                                     {"virtio,device-id", kId, sizeof(kId)},
                                     {"test,flag", nullptr, 0}};
  const dm::PropertyListNode node(props, 3);
  dm::MatchResult r;
  sum += dm::MatchNode(&m, 1, node, &r) ? r.bind : 0;
  return sum == 0xffffffff ? 1 : 0;
}
