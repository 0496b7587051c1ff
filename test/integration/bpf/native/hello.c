// A dynamically linked program for the QEMU guest test: the image binary that LD_PRELOAD
// and the loader trick are tried with.
#include <stdio.h>

int main(void) {
  puts("hello-ran");
  return 0;
}
