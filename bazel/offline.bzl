"""Local stand-ins for the repositories Bazel 4.2.3 would otherwise download.

Bazel 4.2.3 appends a WORKSPACE suffix that fetches rules_cc, rules_java and
the coverage tools from the network. On a machine that reaches only Debian's
archive (like the ones this project is built on) every workspace must declare
them first. None of this is part of valkey_cpp_dependencies(): a workspace
that can download, or that has its own copies, never needs it.

  valkey_cpp_offline_toolchain_repositories()
      rules_java, platforms and bazel_skylib from Debian's Bazel packages.
      This repository's own WORKSPACE calls it, and declares rules_cc and
      remote_coverage_tools itself (they live in this repository).

  valkey_cpp_offline_toolchains(valkey_cpp_path)
      Everything a *consumer* workspace on such a machine needs: the above
      plus rules_cc and remote_coverage_tools from valkey_cpp's checkout.
      Optional; see docs/bazel.md.

Every repository is declared with maybe(), so a definition the workspace
made earlier wins.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

def valkey_cpp_offline_toolchain_repositories():
    # Debian's bazel-rules-java.
    maybe(
        native.local_repository,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )

    # Has cpu:wasm32, which Abseil's BUILD files reference.
    maybe(
        native.local_repository,
        name = "platforms",
        path = "/usr/share/bazel/tools/platforms",
    )
    maybe(
        native.local_repository,
        name = "bazel_skylib",
        path = "/usr/share/bazel/tools/skylib",
    )

def valkey_cpp_offline_toolchains(valkey_cpp_path):
    """The offline shims, for a workspace that consumes valkey_cpp.

    Call it right after declaring @valkey_cpp and before anything else that
    might need rules_cc (the load of this file is the only thing in between).

    Args:
      valkey_cpp_path: where valkey_cpp's checkout is: the same path the
        consumer gave local_repository(name = "valkey_cpp", ...). A relative
        path is relative to the *consumer's* workspace root (that is how
        native.local_repository resolves it; a macro cannot turn a label into
        a path). Example: valkey_cpp_offline_toolchains(valkey_cpp_path = "../..").
    """
    valkey_cpp_offline_toolchain_repositories()

    # Debian's rules_cc is too new for Bazel 4.2.3; valkey_cpp's re-exports
    # the native rules, which is all @bazel_tools needs.
    maybe(
        native.local_repository,
        name = "rules_cc",
        path = valkey_cpp_path + "/bazel/rules_cc",
    )

    # Coverage is not available offline; this only lets the graph load.
    maybe(
        native.local_repository,
        name = "remote_coverage_tools",
        path = valkey_cpp_path + "/bazel/coverage_tools",
    )
