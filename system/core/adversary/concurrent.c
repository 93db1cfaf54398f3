// The `calls-kill-*` scenarios: channel_call clients and servers on several
// threads (and, for -servers, in server processes of their own jobs), while
// servers, callers and jobs are killed under them. Requests carry an event
// handle half the time, which the server sends back. Nothing may panic or
// hang, and once the child's job is killed the parent requires the kernel's
// memory back exactly.
//
// calls-kill-threads: 3 server threads and 4 client threads; every 20 ms a
//   server or a client thread is killed (task_kill on the thread, wherever
//   it is in its call) and a new one started, 24 times.
// calls-kill-servers: server processes (`adversary --server`, started from
//   the bootfs in a job of their own) with 4 client threads calling them;
//   every 40 ms a server process, or its job, is killed and a new one
//   started on a new channel, 12 times.
// calls-kill-job: both at once, and then the parent kills the whole job
//   while the calls are in flight.
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <stdio.h>
#include <string.h>

#include "system/core/adversary/adversary.h"
#include "system/core/adversary/launch_child.h"

enum {
  kServers = 3,
  kClients = 4,
  kThreadKills = 24,
  kProcessKills = 12,
};

// The client ends the clients call on; replaced as servers come and go.
static volatile mica_handle_t g_client_ends[kServers];
static volatile uint32_t g_calls_ok;

// Serves `channel`: each request back as its reply, handles included,
// until the channel's peer is gone. Only system calls (a thread killed
// anywhere in here holds no lock of the runtime).
static int serve(mica_handle_t channel) {
  uint8_t bytes[64];
  mica_handle_t handles[4];
  for (;;) {
    mica_signals_t seen = 0;
    if (mica_object_wait_one(channel, MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                             MICA_TIME_INFINITE, &seen) != MICA_OK) {
      return 0;
    }
    uint32_t nb = 0, nh = 0;
    mica_status_t s = mica_channel_read(channel, 0, bytes, handles, sizeof(bytes), 4, &nb, &nh);
    if (s == MICA_ERR_SHOULD_WAIT) {
      continue;
    }
    if (s != MICA_OK) {
      return 0;
    }
    mica_channel_write(channel, 0, bytes, nb, handles, nh);
  }
}

int adv_server_main(mica_handle_t channel) {
  return serve(channel);
}

static int server_thread(void* arg) {
  return serve((mica_handle_t)(uintptr_t)arg);
}

static int client_thread(void* arg) {
  uint32_t seed = (uint32_t)(uintptr_t)arg;
  uint8_t req[16], reply[64];
  mica_handle_t in[4];
  for (;;) {
    seed = seed * 1103515245u + 12345u;
    mica_handle_t ch = g_client_ends[seed % kServers];
    mica_handle_t ev = MICA_HANDLE_INVALID;
    if (seed & 0x100) {
      mica_event_create(0, &ev);
    }
    memset(req, 0, sizeof(req));
    mica_channel_call_args_t args = {
        req, &ev, reply, in, sizeof(req), ev != MICA_HANDLE_INVALID, sizeof(reply), 4};
    uint32_t nb = 0, nh = 0;
    mica_status_t s = mica_channel_call(ch, 0, adv_after_ms(100), &args, &nb, &nh);
    if (s == MICA_OK) {
      g_calls_ok++;
      for (uint32_t h = 0; h < nh; h++) {
        mica_handle_close(in[h]);
      }
    } else if (s != MICA_ERR_TIMED_OUT) {
      mica_nanosleep(adv_after_ms(1));  // a server is being replaced
    }
  }
  return 0;
}

static mica_handle_t start_thread(mica_rt_thread_fn fn, void* arg, const char* name) {
  mica_rt_thread_t* t = NULL;
  if (mica_rt_thread_create(&t, fn, arg, name, 0) != MICA_OK) {
    return MICA_HANDLE_INVALID;
  }
  return mica_rt_thread_handle(t);
}

static mica_handle_t g_server_threads[kServers];
static mica_handle_t g_server_ends[kServers];
static mica_handle_t g_clients[kClients];

// New channel i: its client end published, its server end to `*server`.
static int new_channel(uint32_t i, mica_handle_t* server) {
  mica_handle_t c;
  if (mica_channel_create(0, server, &c) != MICA_OK) {
    return adv_fail("channel_create failed");
  }
  mica_handle_t old = __atomic_exchange_n(&g_client_ends[i], c, __ATOMIC_RELAXED);
  if (old != MICA_HANDLE_INVALID) {
    mica_handle_close(old);
  }
  return 0;
}

static int start_threads(void) {
  for (uint32_t i = 0; i < kServers; i++) {
    if (new_channel(i, &g_server_ends[i]) != 0) {
      return 1;
    }
    g_server_threads[i] =
        start_thread(server_thread, (void*)(uintptr_t)g_server_ends[i], "adv-server");
  }
  for (uint32_t i = 0; i < kClients; i++) {
    g_clients[i] = start_thread(client_thread, (void*)(uintptr_t)(i * 7919 + 1), "adv-client");
    if (g_clients[i] == MICA_HANDLE_INVALID) {
      return adv_fail("cannot start client %u", i);
    }
  }
  return 0;
}

// Kills a server or client thread and starts a new one, `rounds` times.
static int kill_threads(uint32_t rounds) {
  for (uint32_t r = 0; r < rounds; r++) {
    mica_nanosleep(adv_after_ms(20));
    if (r % 2 == 0) {
      uint32_t i = (r / 2) % kServers;
      mica_task_kill(g_server_threads[i]);
      mica_handle_close(g_server_threads[i]);
      g_server_threads[i] =
          start_thread(server_thread, (void*)(uintptr_t)g_server_ends[i], "adv-server");
    } else {
      uint32_t i = (r / 2) % kClients;
      mica_task_kill(g_clients[i]);
      mica_handle_close(g_clients[i]);
      g_clients[i] = start_thread(client_thread, (void*)(uintptr_t)(r * 31 + 5), "adv-client");
    }
  }
  return 0;
}

static mica_handle_t g_server_jobs[kServers], g_server_procs[kServers];

// Starts server process i on a new channel, in a new job.
static int start_server_process(uint32_t i) {
  char why[160];
  mica_handle_t server_end;
  if (new_channel(i, &server_end) != 0) {
    return 1;
  }
  if (mica_job_create(mica_rt_job_default(), 0, &g_server_jobs[i]) != MICA_OK) {
    return adv_fail("job_create for a server failed");
  }
  const char* argv[] = {"bin/adversary", "--server"};
  if (!adv_launch(argv, 2, g_server_jobs[i], &server_end, 1, &g_server_procs[i], why,
                  sizeof(why))) {
    return adv_fail("cannot start a server process: %s", why);
  }
  return 0;
}

static int kill_server_processes(uint32_t rounds) {
  for (uint32_t r = 0; r < rounds; r++) {
    mica_nanosleep(adv_after_ms(40));
    uint32_t i = r % kServers;
    mica_task_kill(r % 2 ? g_server_jobs[i] : g_server_procs[i]);
    mica_handle_close(g_server_procs[i]);
    mica_handle_close(g_server_jobs[i]);
    if (start_server_process(i) != 0) {
      return 1;
    }
  }
  return 0;
}

static int start_clients(void) {
  for (uint32_t i = 0; i < kClients; i++) {
    g_clients[i] = start_thread(client_thread, (void*)(uintptr_t)(i * 104729 + 3), "adv-client");
    if (g_clients[i] == MICA_HANDLE_INVALID) {
      return adv_fail("cannot start client %u", i);
    }
  }
  return 0;
}

int adv_calls_kill_threads(void) {
  if (start_threads() != 0 || kill_threads(kThreadKills) != 0) {
    return 1;
  }
  if (g_calls_ok == 0) {
    return adv_fail("no call succeeded");
  }
  return 0;  // exiting kills the rest mid-call
}

int adv_calls_kill_servers(void) {
  if (!adv_open_bootfs(adv_bootfs_vmo(), (char[160]){0}, 160)) {
    return adv_fail("cannot open the bootfs");
  }
  for (uint32_t i = 0; i < kServers; i++) {
    if (start_server_process(i) != 0) {
      return 1;
    }
  }
  if (start_clients() != 0 || kill_server_processes(kProcessKills) != 0) {
    return 1;
  }
  if (g_calls_ok == 0) {
    return adv_fail("no call succeeded");
  }
  return 0;
}

int adv_calls_kill_job(void) {
  if (!adv_open_bootfs(adv_bootfs_vmo(), (char[160]){0}, 160)) {
    return adv_fail("cannot open the bootfs");
  }
  if (start_threads() != 0 || start_server_process(0) != 0 || kill_threads(6) != 0) {
    return 1;
  }
  adv_await_kill();
}
