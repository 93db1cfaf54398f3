// bin/log (docs/logging.md, "bin/log"): prints the log service's records
// through log.Reader.
//
//   log [-f | --new] [--severity=SEV] [--moniker=M] [--tag=T] [--count=N]
//       [--stats]
//
// Default: the records stored now, then "log: N records, D dropped".
// -f: those, then new ones as they come; --new: only new ones. --count=N
// stops after N records. Each record is one line in the console format
// (ring.h FormatLine); with a drop, a line "log: D records dropped".
#include <idl/log_ipc.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/core/log_service/record.h"

namespace {

// Where the Reader channel comes from: today the startup handle its
// launcher passed (USER0); at integration mica::component::Connect
// ("log.Reader").
mica::Channel ConnectReader() {
  return mica::Channel(
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 0)));
}

bool Value(const char* arg, const char* key, const char** out) {
  size_t n = strlen(key);
  if (strncmp(arg, key, n) == 0) {
    *out = arg + n;
    return true;
  }
  return false;
}

void Print(const idl::log::Record& r) {
  char line[MICA_LOG_MAX_DATA + 1];
  log_service::FormatLine(log_service::FromIdl(r), line, sizeof(line));
  printf("%s\n", line);
}

int Usage(const char* bad) {
  printf("log: bad argument: %s\n", bad);
  printf(
      "usage: log [-f | --new] [--severity=SEV] [--moniker=M] [--tag=T] [--count=N] [--stats]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  idl::log::Reader::StartRequest start;
  start.mode = idl::log::Mode::SNAPSHOT;
  start.filter.min_severity = idl::log::Severity::TRACE;
  uint64_t count = 0;  // 0: no limit
  bool stats = false;
  for (int i = 1; i < argc; i++) {
    const char* v = nullptr;
    log_service::Severity sev;
    if (strcmp(argv[i], "-f") == 0) {
      start.mode = idl::log::Mode::SNAPSHOT_THEN_FOLLOW;
    } else if (strcmp(argv[i], "--new") == 0) {
      start.mode = idl::log::Mode::FOLLOW;
    } else if (strcmp(argv[i], "--stats") == 0) {
      stats = true;
    } else if (Value(argv[i], "--severity=", &v)) {
      if (!log_service::ParseSeverity(v, &sev)) {
        return Usage(argv[i]);
      }
      start.filter.min_severity = static_cast<idl::log::Severity>(sev);
    } else if (Value(argv[i], "--moniker=", &v)) {
      if (!start.filter.moniker.Set(v)) {
        return Usage(argv[i]);
      }
    } else if (Value(argv[i], "--tag=", &v)) {
      if (!start.filter.tag.Set(v)) {
        return Usage(argv[i]);
      }
    } else if (Value(argv[i], "--count=", &v)) {
      char* end = nullptr;
      count = strtoull(v, &end, 10);
      if (*v == '\0' || *end != '\0' || count == 0) {
        return Usage(argv[i]);
      }
    } else {
      return Usage(argv[i]);
    }
  }
  mica::Channel channel = ConnectReader();
  if (!channel.is_valid()) {
    printf("log: no log.Reader channel\n");
    return 1;
  }
  idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(channel));
  if (stats) {
    idl::log::Reader::GetStatsRequest req;
    idl::log::Reader::GetStatsResponse resp;
    mica_status_t s = reader.GetStats(req, &resp);
    if (s != MICA_OK) {
      printf("log: GetStats failed: %d\n", static_cast<int>(s));
      return 1;
    }
    printf("log: records %u, bytes %u of %u, sequences %llu..%llu, dropped %llu\n",
           resp.stats.records, resp.stats.bytes, resp.stats.capacity,
           static_cast<unsigned long long>(resp.stats.first_sequence),
           static_cast<unsigned long long>(resp.stats.next_sequence),
           static_cast<unsigned long long>(resp.stats.dropped));
  }
  idl::log::Reader::StartResponse started;
  mica_status_t s = reader.Start(start, &started);
  if (s == MICA_OK) {
    s = started.status;
  }
  if (s != MICA_OK) {
    printf("log: Start failed: %d\n", static_cast<int>(s));
    return 1;
  }
  uint64_t printed = 0;
  uint64_t dropped = 0;
  static idl::log::Reader::NextResponse next;
  for (;;) {
    idl::log::Reader::NextRequest req;
    s = reader.Next(req, &next);
    if (s != MICA_OK) {
      printf("log: the log service went away (%d)\n", static_cast<int>(s));
      return 1;
    }
    if (next.dropped != 0) {
      dropped += next.dropped;
      printf("log: %llu records dropped\n", static_cast<unsigned long long>(next.dropped));
    }
    for (const idl::log::Record& r : next.records) {
      Print(r);
      if (++printed == count) {
        return 0;
      }
    }
    if (next.end) {
      break;
    }
  }
  printf("log: %llu records, %llu dropped\n", static_cast<unsigned long long>(printed),
         static_cast<unsigned long long>(dropped));
  return 0;
}
