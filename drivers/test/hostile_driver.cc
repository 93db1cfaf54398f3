// bin/test-hostile-driver: a driver that misbehaves toward the driver manager as
// a buggy or hostile one would (test/harness/adversary_cases.py). It does
// not use the SDK runtime: it takes its two channels from the start message
// and speaks the IDL (system/idl/driver.idl) itself, or does not.
// Its manifest argument picks the behaviour:
//   misbehave  start 0: adds a child that recurses (below), adds a child
//              named "dup" twice, adds children with names and
//              compatibles no devicetree could hold, adds 300 children with unique names,
//              publishes 100 service classes, and asks to remove every
//              node id it does not own; one line each:
//                test-hostile: dup again: <status>
//                test-hostile: bad names refused <n> of <m>
//                test-hostile: forged class: <status>   (a newline in it)
//                test-hostile: children accepted <n> of 300 (<status>)
//                test-hostile: services accepted <n> of 100 (<status>)
//                test-hostile: foreign removes accepted <n>
//              every start s < kGarbageKinds: sends malformed message s on
//              its Manager channel and prints how the link ended
//                test-hostile: garbage <kind>: link closed (<epitaph>)
//              then answers the manager's next Ping twice and stops
//              answering (but lives on): the manager must notice and
//              restart it. Start kGarbageKinds closes both its links and
//              lives on, silent. Later starts answer pings (steady).
//   recurse    adds a child "r" with its own compatible, so every level
//              adds one more; the level that is refused prints
//                test-hostile: <path>: child r refused: <status>
// Pings are answered between flood calls (the manager's liveness check).
#include <idl/driver_ipc.h>
#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

using idl::driver::Manager;
using mica::driver::StatusName;

constexpr int kChildFlood = 300;
constexpr int kServiceFlood = 100;
constexpr uint32_t kGarbageKinds = 6;
const char kRecurseCompatible[] = "mica,test-hostile-recurse";
const char kNothingCompatible[] = "mica,test-nothing";

mica_handle_t g_driver = MICA_HANDLE_INVALID;  // the Driver channel (we serve it)
const char* g_path = "?";

// Answers every Ping queued on the Driver channel (the request and the
// reply have the same body, uint64 seq, so the message goes back as is);
// `times` copies of each. Start is answered once, with MICA_OK. Returns false once the manager has
// gone.
bool AnswerPings(mica_time_t deadline, int times) {
  for (;;) {
    alignas(8) uint8_t buf[256];
    uint32_t n = 0;
    uint32_t nh = 0;
    mica_status_t s = mica_channel_read(g_driver, 0, buf, nullptr, sizeof(buf), 0, &n, &nh);
    if (s == MICA_ERR_SHOULD_WAIT) {
      mica_signals_t seen = 0;
      s = mica_object_wait_one(g_driver, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED, deadline,
                               &seen);
      if (s == MICA_ERR_TIMED_OUT) {
        return true;
      }
      continue;
    }
    if (s != MICA_OK) {
      return false;
    }
    mica::idl::MessageHeader h;
    if (n >= sizeof(h)) {
      memcpy(&h, buf, sizeof(h));
    }
    if (n >= sizeof(h) && h.ordinal == idl::driver::Driver::kStartOrdinal) {
      // Start (the manager's first call): answered once, MICA_OK, as the
      // runtime does once bind has returned; its handles (none) dropped.
      alignas(8) uint8_t reply[sizeof(h) + 8] = {};
      memcpy(reply, &h, sizeof(h));
      (void)mica_channel_write(g_driver, 0, reply, sizeof(reply), nullptr, 0);
      continue;
    }
    for (int i = 0; i < times; i++) {
      (void)mica_channel_write(g_driver, 0, buf, n, nullptr, 0);
    }
    if (times > 1) {
      return true;
    }
  }
}

void Poll() {
  (void)AnswerPings(MICA_TIME_INFINITE_PAST, 1);
}

mica_status_t AddChild(idl::driver::ManagerSyncClient& m, const char* name, const char* compat,
                       size_t compat_size, uint64_t* id = nullptr) {
  static Manager::AddChildRequest req;
  req = Manager::AddChildRequest();
  req.name.Set(name);
  idl::driver::Property p;
  p.name.Set("compatible");
  for (size_t i = 0; i < compat_size; i++) {
    p.value.Push(static_cast<uint8_t>(compat[i]));
  }
  req.properties.Push(p);
  Manager::AddChildResponse r;
  mica_status_t s = m.AddChild(req, &r);
  if (s == MICA_OK && r.status == MICA_OK && id != nullptr) {
    *id = r.child_id;
  }
  return s != MICA_OK ? s : r.status;
}

// Names and compatibles no devicetree could hold; the first would start
// a console line of the manager's own wherever the path is printed, and
// so would the same text as a service class.
const char kForged[] = "x\ndriver: failed /pl061";

void BadNames(idl::driver::ManagerSyncClient& m) {
  static const char* const kBadNames[] = {kForged, "", "..", "a b", "a@", "@a", "x/y", "t\x7f"};
  static const char kBadCompat[][8] = {"a\nb", "", "no-nul"};
  static const size_t kBadCompatSize[] = {4, 1, 6};
  int refused = 0;
  int tried = 0;
  for (const char* name : kBadNames) {
    refused +=
        AddChild(m, name, kNothingCompatible, sizeof(kNothingCompatible)) == MICA_ERR_INVALID_ARGS;
    tried++;
  }
  for (size_t i = 0; i < 3; i++) {
    refused += AddChild(m, "bad-compat", kBadCompat[i], kBadCompatSize[i]) == MICA_ERR_INVALID_ARGS;
    tried++;
  }
  printf("test-hostile: bad names refused %d of %d\n", refused, tried);
}

mica_status_t PublishClass(idl::driver::ManagerSyncClient& m, const char* service_class) {
  Manager::PublishServiceRequest req;
  req.service_class.Set(service_class);
  req.protocol_name.Set("test.Echo");
  req.protocol_version = 1;
  Manager::PublishServiceResponse r;
  mica_status_t s = m.PublishService(req, &r);
  return s != MICA_OK ? s : r.status;
}

// `count` calls of `call(i)`, answering pings between them; one line.
template <typename F>
void Flood(const char* what, int count, F call) {
  int ok = 0;
  mica_status_t last = MICA_OK;
  for (int i = 0; i < count; i++) {
    mica_status_t s = call(i);
    ok += s == MICA_OK ? 1 : 0;
    last = s != MICA_OK ? s : last;
    Poll();
  }
  printf("test-hostile: %s accepted %d of %d (%s)\n", what, ok, count, StatusName(last));
}

// Every node id below its first child's (the devicetree's nodes, all
// before any added one) and ids past the table: all must be refused.
void ForeignRemoves(idl::driver::ManagerSyncClient& m, uint64_t first_child) {
  int ok = 0;
  const uint64_t beyond[] = {~uint64_t{0}, uint64_t{1} << 32, 1024, 1025};
  for (uint64_t i = 0; i < first_child + 4; i++) {
    Manager::RemoveRequest req;
    req.child_id = i < first_child ? i : beyond[i - first_child];
    Manager::RemoveResponse r;
    if (m.Remove(req, &r) == MICA_OK && r.status == MICA_OK) {
      ok++;
    }
    Poll();
  }
  printf("test-hostile: foreign removes accepted %d\n", ok);
}

void Floods(idl::driver::ManagerSyncClient& m) {
  uint64_t first_child = 0;
  (void)AddChild(m, "r", kRecurseCompatible, sizeof(kRecurseCompatible), &first_child);
  (void)AddChild(m, "dup", kNothingCompatible, sizeof(kNothingCompatible));
  printf("test-hostile: dup again: %s\n",
         StatusName(AddChild(m, "dup", kNothingCompatible, sizeof(kNothingCompatible))));
  BadNames(m);
  printf("test-hostile: forged class: %s\n", StatusName(PublishClass(m, kForged)));
  Flood("children", kChildFlood, [&m](int i) {
    char name[16];
    snprintf(name, sizeof(name), "c%d", i);
    return AddChild(m, name, kNothingCompatible, sizeof(kNothingCompatible));
  });
  Flood("services", kServiceFlood, [&m](int i) {
    char name[16];
    snprintf(name, sizeof(name), "h%d", i);
    return PublishClass(m, name);
  });
  ForeignRemoves(m, first_child);
}

// Malformed message `kind` on the Manager channel; the manager must close
// the link (an epitaph, then PEER_CLOSED) and nothing else.
void Garbage(mica_handle_t manager, uint32_t kind) {
  alignas(8) static uint8_t bytes[MICA_CHANNEL_MAX_MSG_BYTES];
  memset(bytes, 0, sizeof(bytes));
  mica::idl::MessageHeader h{7, mica::idl::kMagic, 0, Manager::kVersion, 0};
  uint32_t size = sizeof(h);
  mica_handle_t handles[1] = {MICA_HANDLE_INVALID};
  uint32_t nh = 0;
  const char* what = "";
  switch (kind) {
    case 0:
      what = "bytes";
      memcpy(bytes, "garbage!garbage!garbage!", 24);
      size = 24;
      break;
    case 1:
      what = "ordinal";
      h.ordinal = mica::idl::MakeOrdinal(static_cast<uint32_t>(Manager::kAddChildOrdinal >> 32), 9);
      memcpy(bytes, &h, sizeof(h));
      size = sizeof(h) + 8;
      break;
    case 2:
      what = "truncated";
      h.ordinal = Manager::kAddChildOrdinal;
      memcpy(bytes, &h, sizeof(h));
      size = sizeof(h) + 4;
      break;
    case 3: {
      what = "handle-type";
      // A well-formed ConnectPhandle whose channel is an event.
      Manager::ConnectPhandleRequest req;
      req.phandle = 1;
      req.service_class.Set("rtc");
      req.protocol_name.Set("rtc.Rtc");
      req.protocol_version = 1;
      mica::Channel a, b;
      (void)mica_channel_create(0, a.reset_and_get_address(), b.reset_and_get_address());
      req.channel = static_cast<mica::Channel&&>(a);
      mica::idl::Encoder e(bytes, sizeof(bytes), handles, 1);
      (void)mica::idl::EncodeMessage(e, 7, Manager::kVersion, Manager::kConnectPhandleOrdinal, req);
      size = e.num_bytes();
      e.Release();
      mica_handle_close(handles[0]);
      (void)mica_event_create(0, &handles[0]);
      nh = 1;
      break;
    }
    case 4:
      what = "oversized";
      h.ordinal = Manager::kPublishServiceOrdinal;
      memcpy(bytes, &h, sizeof(h));
      size = sizeof(bytes);
      break;
    default:
      what = "event-ordinal";
      h.txid = 0;
      h.ordinal = Manager::kConnectOrdinal;
      memcpy(bytes, &h, sizeof(h));
      size = sizeof(h) + 8;
      break;
  }
  mica_status_t s = mica_channel_write(manager, 0, bytes, size, handles, nh);
  int32_t epitaph = 1;
  mica_time_t deadline = 0;
  mica_clock_get_monotonic(&deadline);
  deadline += 2'000'000'000;
  while (s == MICA_OK) {
    uint32_t n = 0;
    uint32_t got_h = 0;
    s = mica_channel_read(manager, 0, bytes, handles, 64, 1, &n, &got_h);
    if (s == MICA_OK && n == sizeof(h) + 8) {
      memcpy(&h, bytes, sizeof(h));
      if (h.ordinal == mica::idl::kEpitaphOrdinal) {
        memcpy(&epitaph, bytes + sizeof(h), sizeof(epitaph));
      }
    }
    if (s == MICA_ERR_SHOULD_WAIT) {
      mica_signals_t seen = 0;
      s = mica_object_wait_one(manager, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED, deadline,
                               &seen);
    }
    Poll();
  }
  printf("test-hostile: garbage %s: link closed (%s, epitaph %s)\n", what, StatusName(s),
         epitaph == 1 ? "none" : StatusName(epitaph));
}

void Recurse(idl::driver::ManagerSyncClient& m) {
  mica_status_t s = AddChild(m, "r", kRecurseCompatible, sizeof(kRecurseCompatible));
  if (s != MICA_OK) {
    printf("test-hostile: %s: child r refused: %s\n", g_path, StatusName(s));
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_path = argc > MICA_DRIVER_ARGV_NODE_PATH ? argv[MICA_DRIVER_ARGV_NODE_PATH] : "?";
  uint32_t start =
      argc > MICA_DRIVER_ARGV_START_COUNT
          ? static_cast<uint32_t>(strtoul(argv[MICA_DRIVER_ARGV_START_COUNT], nullptr, 10))
          : 0;
  const char* mode = argc > MICA_DRIVER_ARGV_FIRST_ARG ? argv[MICA_DRIVER_ARGV_FIRST_ARG] : "";
  mica_handle_t manager =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_MANAGER, 0));
  g_driver = mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DRIVER, 0));
  idl::driver::ManagerSyncClient m{mica::Channel(manager)};
  printf("test-hostile: %s up (start %u)\n", g_path, start);
  if (strcmp(mode, "recurse") == 0) {
    Recurse(m);
  } else if (strcmp(mode, "misbehave") == 0 && start == kGarbageKinds) {
    // Both links closed from this side, the process alive and silent.
    mica_handle_close(m.TakeChannel().release());
    mica_handle_close(g_driver);
    printf("test-hostile: closed both links; silent now\n");
    mica_nanosleep(MICA_TIME_INFINITE);
  } else if (strcmp(mode, "misbehave") == 0 && start < kGarbageKinds) {
    if (start == 0) {
      Floods(m);
    }
    Garbage(m.channel().get(), start);
    // One Ping answered twice: a reply the manager did not ask for.
    (void)AnswerPings(MICA_TIME_INFINITE, 2);
    printf("test-hostile: answered a ping twice; silent now\n");
    mica_nanosleep(MICA_TIME_INFINITE);
  }
  while (AnswerPings(MICA_TIME_INFINITE, 1)) {
  }
  return 0;
}
