"""Compiler options for valkey-cpp's own targets (not for dependencies)."""

VALKEY_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]

VALKEY_TEST_COPTS = VALKEY_COPTS
