"""Local stand-ins for the repositories Bazel 4.2.3 would otherwise download.

Used only by this repository's own WORKSPACE; consumers keep their own.
"""

def valkey_cpp_offline_toolchain_repositories():
    # Debian's bazel-rules-java.
    native.local_repository(
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )

    # Has cpu:wasm32, which Abseil's BUILD files reference.
    native.local_repository(
        name = "platforms",
        path = "/usr/share/bazel/tools/platforms",
    )
    native.local_repository(
        name = "bazel_skylib",
        path = "/usr/share/bazel/tools/skylib",
    )
