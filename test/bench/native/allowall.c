#define _GNU_SOURCE
// The physical floor of fanotify exec mediation: a listener with FAN_OPEN_EXEC_PERM marks
// on the given filesystems that allows everything, one read and one write per batch.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/fanotify.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fd < 0) {
    perror("fanotify_init");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, AT_FDCWD, argv[i]) != 0) {
      perror("fanotify_mark");
      return 1;
    }
  }
  printf("ready\n");
  fflush(stdout);
  char buffer[8192] __attribute__((aligned(8)));
  for (;;) {
    ssize_t length = read(fd, buffer, sizeof buffer);
    if (length <= 0) return 1;
    struct fanotify_event_metadata* meta = (struct fanotify_event_metadata*)buffer;
    for (; FAN_EVENT_OK(meta, length); meta = FAN_EVENT_NEXT(meta, length)) {
      struct fanotify_response response = {meta->fd, FAN_ALLOW};
      if (write(fd, &response, sizeof response) < 0) perror("write");
      close(meta->fd);
    }
  }
}
