#include "kernel/lib/status.h"

#include "system/public/mica/status_names.h"

namespace mica {

// Every entry of the shared list names an enumerator with the ABI value of
// its code; the switch below (-Wswitch) has a case for every enumerator.
#define MICA_STATUS_CHECK(code, name) \
  static_assert(static_cast<int32_t>(Status::k##name) == (code), #name " is not " #code);
MICA_STATUS_LIST(MICA_STATUS_CHECK)
#undef MICA_STATUS_CHECK

const char* StatusString(Status s) {
  switch (s) {
#define MICA_STATUS_CASE(code, name) \
  case Status::k##name:              \
    return #name;
    MICA_STATUS_LIST(MICA_STATUS_CASE)
#undef MICA_STATUS_CASE
  }
  return "Unknown";
}

}  // namespace mica
