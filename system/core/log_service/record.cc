// See record.h.
#include "system/core/log_service/record.h"

namespace log_service {

RecordView FromIdl(const idl::log::Record& r) {
  RecordView v;
  v.sequence = r.sequence;
  v.time = r.time;
  v.severity = static_cast<Severity>(r.severity);
  v.flags = static_cast<uint32_t>(r.flags);
  v.pid = r.pid;
  v.tid = r.tid;
  v.moniker = std::string_view(r.moniker.data, r.moniker.size);
  v.tag = std::string_view(r.tag.data, r.tag.size);
  v.message = std::string_view(r.message.data, r.message.size);
  v.pair_count = r.pairs.count < kMaxPairs ? r.pairs.count : kMaxPairs;
  for (size_t i = 0; i < v.pair_count; i++) {
    v.pairs[i] = {std::string_view(r.pairs[i].key.data, r.pairs[i].key.size),
                  std::string_view(r.pairs[i].value.data, r.pairs[i].value.size)};
  }
  return v;
}

void ToIdl(const RecordView& v, idl::log::Record* out) {
  out->sequence = v.sequence;
  out->time = v.time;
  out->severity = static_cast<idl::log::Severity>(v.severity);
  out->flags = static_cast<idl::log::RecordFlags>(v.flags & idl::log::kRecordFlagsMask);
  out->pid = v.pid;
  out->tid = v.tid;
  // Kernel text may not be UTF-8; everything else already is.
  out->moniker.SetLossy(v.moniker.data(), v.moniker.size());
  out->tag.SetLossy(v.tag.data(), v.tag.size());
  out->message.SetLossy(v.message.data(), v.message.size());
  out->pairs.count = 0;
  for (size_t i = 0; i < v.pair_count; i++) {
    idl::log::KeyValue kv;
    kv.key.SetLossy(v.pairs[i].key.data(), v.pairs[i].key.size());
    kv.value.SetLossy(v.pairs[i].value.data(), v.pairs[i].value.size());
    out->pairs.Push(kv);
  }
}

}  // namespace log_service
