"""valkey_fuzzer(): a libFuzzer target, built only with --config=fuzz."""

load("//bazel:copts.bzl", "VALKEY_COPTS")

def valkey_fuzzer(name, srcs, deps = [], **kwargs):
    """Declares the libFuzzer binary `name` over LLVMFuzzerTestOneInput.

    Tagged "manual" (gcc cannot link libFuzzer, so //... never builds it) and
    "fuzzer" (tools/fuzz.sh finds fuzzers by that tag). By convention its seed
    corpus is the directory corpus/<name>/ and its dictionary <name>.dict,
    both beside the BUILD file.

    Args:
      name: target name, ending in "_fuzzer".
      srcs: the source defining LLVMFuzzerTestOneInput.
      deps: libraries under test.
      **kwargs: passed to cc_binary.
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = VALKEY_COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        deps = deps,
        tags = ["manual", "fuzzer"],
        testonly = True,
        **kwargs
    )
