// A shared library whose constructor announces it, for the QEMU guest test: built as
// evil.so (dropped on the writable layer) and good.so (an image file, copied up).
// LIBRARY_TAG is set at build time (-DLIBRARY_TAG=...).
#include <unistd.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

__attribute__((constructor)) static void announce(void) {
  static const char text[] = "library-loaded:" STRINGIFY(LIBRARY_TAG) "\n";
  ssize_t ignored = write(1, text, sizeof text - 1);
  (void)ignored;
}
