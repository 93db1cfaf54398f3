#include "system/ulib/log/format.h"

#include <stdio.h>
#include <string.h>

namespace mica_log_internal {

namespace {

// Copies at most N bytes of `text`, cut at a character boundary, bad bytes
// replaced (String::SetLossy stops at the first sequence that does not fit
// and keeps what came before).
template <uint32_t N>
void SetCut(mica::idl::String<N>* s, const char* text) {
  if (text == nullptr) {
    s->size = 0;
    return;
  }
  size_t n = 0;
  while (n < N + 4 && text[n] != '\0') {
    n++;
  }
  (void)s->SetLossy(text, n);
}

const char* kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

}  // namespace

int BuildEntry(idl::log::Entry* e, int severity, const char* tag, const mica_log_kv_t* pairs,
               size_t pair_count, const char* fmt, va_list args) {
  if (severity < MICA_LOG_SEVERITY_TRACE) {
    severity = MICA_LOG_SEVERITY_TRACE;
  } else if (severity > MICA_LOG_SEVERITY_FATAL) {
    severity = MICA_LOG_SEVERITY_FATAL;
  }
  e->severity = static_cast<idl::log::Severity>(severity);
  SetCut(&e->tag, tag);
  // 4 bytes beyond the limit: vsnprintf may cut a character in the middle,
  // but only past the limit, where SetCut stops anyway.
  char message[idl::log::MAX_MESSAGE + 4 + 1];
  message[0] = '\0';
  if (fmt != nullptr) {
    vsnprintf(message, sizeof(message), fmt, args);
  }
  SetCut(&e->message, message);
  e->pairs.count = 0;
  for (size_t i = 0; i < pair_count && pairs != nullptr && i < idl::log::MAX_PAIRS; i++) {
    idl::log::KeyValue& kv = e->pairs.items[e->pairs.count++];
    SetCut(&kv.key, pairs[i].key);
    SetCut(&kv.value, pairs[i].value);
  }
  return severity;
}

size_t FormatFallback(const idl::log::Entry& e, char* out, size_t cap) {
  if (cap == 0) {
    return 0;
  }
  size_t len = 0;
  auto add = [&](const char* s, size_t n) {
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
      char c = s[i];
      out[len++] = static_cast<uint8_t>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
  };
  auto adds = [&](const char* s) { add(s, strlen(s)); };
  if (e.tag.size != 0) {
    adds("[");
    add(e.tag.data, e.tag.size);
    adds("] ");
  }
  int sev = static_cast<int>(e.severity);
  adds(sev >= 1 && sev <= 6 ? kNames[sev - 1] : "?");
  adds(": ");
  add(e.message.data, e.message.size);
  for (const idl::log::KeyValue& kv : e.pairs) {
    adds(" ");
    add(kv.key.data, kv.key.size);
    adds("=");
    add(kv.value.data, kv.value.size);
  }
  out[len] = '\0';
  return len;
}

}  // namespace mica_log_internal
