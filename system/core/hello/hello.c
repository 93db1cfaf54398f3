// The first Mica user program: prints one line through picolibc's printf
// (stdout goes to the debug log) and exits with status 0.
#include <stdio.h>

int main(void) {
  printf("hello from user space\n");
  return 0;
}
