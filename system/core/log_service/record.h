// log.Reader's wire record (idl::log::Record) and the ring's RecordView
// (ring.h), both ways: the one place that maps the fields. The service
// sends with ToIdl; readers (bin/log, the shell's `log`) print with
// FormatLine(FromIdl(r), ...). Host-tested (test/ring_test.cc).
#pragma once

#include <idl/log.h>

#include "system/core/log_service/ring.h"

namespace log_service {

// A view of `r` (its strings stay in `r`; at most kMaxPairs pairs).
RecordView FromIdl(const idl::log::Record& r);
// Copies `v` into *out; text that is not UTF-8 (kernel text may not be)
// has its bad bytes made '?', and is cut to the IDL's limits.
void ToIdl(const RecordView& v, idl::log::Record* out);

}  // namespace log_service
