// The name of a status code ("MICA_ERR_ACCESS_DENIED"), for log lines.
// Never null: unknown codes read "MICA_ERR_<unknown>".
#pragma once

#include <mica/status.h>

namespace mica::driver {

const char* StatusName(mica_status_t status);

}  // namespace mica::driver
