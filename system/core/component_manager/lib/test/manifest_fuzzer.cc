// libFuzzer target: cm::ParseManifest on arbitrary bytes; whatever it
// accepts is read back in full (every string, every argument) and must
// satisfy the rules the reader promises.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "system/core/component_manager/lib/manifest.h"

namespace {

size_t Touch(const cm::Str& s) {
  size_t sum = 0;
  for (uint16_t i = 0; i < s.size; i++) {
    sum += static_cast<uint8_t>(s.data[i]);
  }
  if (!cm::ValidUtf8(s.data, s.size)) {
    abort();
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);  // exact size: ASan sees overreads
  static cm::Manifest m;
  if (cm::ParseManifest(copy.data(), copy.size(), &m, nullptr) != cm::Status::kOk) {
    return 0;
  }
  size_t sum = 0;
  if (m.has_program) {
    sum += Touch(m.program.binary);
    for (uint32_t i = 0; i < m.program.argc; i++) {
      cm::Str a;
      if (!m.Arg(i, &a)) {
        abort();
      }
      sum += Touch(a);
    }
  }
  for (uint32_t i = 0; i < m.child_count; i++) {
    if (!cm::ValidChildName(m.children[i].name.data, m.children[i].name.size)) {
      abort();
    }
    sum += Touch(m.children[i].manifest);
  }
  for (uint32_t i = 0; i < m.use_count; i++) {
    sum += Touch(m.uses[i].path) + Touch(m.uses[i].name);
  }
  for (uint32_t i = 0; i < m.offer_count; i++) {
    if (!cm::ValidName(m.offers[i].as.data, m.offers[i].as.size)) {
      abort();
    }
    sum += Touch(m.offers[i].from.name) + Touch(m.offers[i].to);
  }
  for (uint32_t i = 0; i < m.expose_count; i++) {
    sum += Touch(m.exposes[i].as) + Touch(m.exposes[i].from.name);
  }
  return sum == 0xffffffff ? 1 : 0;
}
