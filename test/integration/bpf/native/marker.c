// The first thing it does is create the file named by argv[1], then print argv[2]: proof
// that a program stopped "before its first instruction" really never ran. Built static for
// the container tests, dynamic for the interpreter check.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc > 1) close(open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644));
  if (argc > 2) puts(argv[2]);
  return 0;
}
