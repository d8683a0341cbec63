// FUZZ_CHECK: the assertion of the fuzz targets in this package.
//
// libFuzzer reports a crash for any abort, so an invariant that does not
// hold prints what was expected and aborts; the input that broke it is then
// saved by libFuzzer like any other crash. Unlike assert(), it is never
// compiled out.
//
//   FUZZ_CHECK(reader.status().ok() == ok, "sticky status changed");
//
// Thread-safety: as fprintf(stderr) and abort().

#ifndef VALKEY_COMMON_FUZZ_FUZZ_CHECK_H_
#define VALKEY_COMMON_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                        \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #condition, what);                            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // VALKEY_COMMON_FUZZ_FUZZ_CHECK_H_
