// bin/shell-test-child: what the shell's system tests run (test/harness/
// shell_cases.py): `exit <n>` prints a line and exits with status n (the
// shell reports it); `wait` prints a line and blocks until it is killed
// (Ctrl-C in the shell kills its job).
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "exit") == 0) {
    int n = atoi(argv[2]);
    printf("shell-test-child: exiting with status %d\n", n);
    return n;
  }
  if (argc == 2 && strcmp(argv[1], "wait") == 0) {
    printf("shell-test-child: waiting to be killed\n");
    for (;;) {
      mica_nanosleep(MICA_TIME_INFINITE);
    }
  }
  printf("shell-test-child: usage: shell-test-child exit <n> | wait\n");
  return 2;
}
