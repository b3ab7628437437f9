#ifndef WYSC_FUZZ_DRIVER_H
#define WYSC_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with `test` as the function under test. SwiftPM links an executable's `main` to
/// `<Target>_main`, which -parse-as-library leaves undefined; each harness defines that symbol and
/// calls this, so libFuzzer's driver runs as it would from its own `main`.
int wysc_fuzz_run(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));

#endif
