// bin/echo-client (README.md here): `echo-client [words]` sends its
// arguments, joined by spaces, to echo.Echo through its namespace and
// prints the answer. Run from the shell (`run echo-client hello`) it is a
// child of the root's collection `run`, which is offered echo.Echo from
// the lazily started /echo. Exit status: 0, or 1 with the reason printed.
#include <idl/echo_ipc.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  using idl::echo::Echo;
  Echo::EchoStringRequest req;
  char text[idl::echo::MAX_STRING + 1];
  size_t used = 0;
  for (int i = 1; i < argc; i++) {
    size_t n = strlen(argv[i]) + (i > 1 ? 1 : 0);
    if (used + n > idl::echo::MAX_STRING) {
      printf("echo-client: the text is longer than %u bytes\n", idl::echo::MAX_STRING);
      return 1;
    }
    snprintf(text + used, sizeof(text) - used, "%s%s", i > 1 ? " " : "", argv[i]);
    used += n;
  }
  (void)req.value.Set(text, used);  // at most MAX_STRING: checked above
  mica::Channel ch;
  mica_status_t s = mica::component::Connect(Echo::kName, &ch);
  if (s != MICA_OK) {
    printf("echo-client: cannot open %s: %s\n", Echo::kName, mica::driver::StatusName(s));
    return 1;
  }
  idl::echo::EchoSyncClient echo(static_cast<mica::Channel&&>(ch));
  Echo::EchoStringResponse resp;
  s = echo.EchoString(req, &resp);
  if (s != MICA_OK) {
    printf("echo-client: %s.EchoString: %s\n", Echo::kName, mica::driver::StatusName(s));
    return 1;
  }
  printf("%.*s\n", static_cast<int>(resp.response.size), resp.response.data);
  return 0;
}
