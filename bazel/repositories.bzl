"""valkey_cpp_dependencies(): the external repositories valkey-cpp needs.

Every repository is declared with maybe(), so a workspace that already defines
one (a monorepo with its own Abseil, say) keeps its own. The defaults come from
Debian 12 packages installed by tools/setup.sh:

  @com_google_absl               Abseil 20220623.1 upstream sources (deb-src)
  @com_google_googletest         GoogleTest 1.12.1 upstream sources (deb-src)
  @com_github_google_benchmark   Google Benchmark 1.7.1 upstream sources (deb-src)
  @boringssl                     android-libboringssl-dev (installed library)
  @com_google_protobuf           libprotobuf-dev + protobuf-compiler (installed)
  @hiredis                       libhiredis-dev; benchmarks only, as a peer
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

# Where tools/setup.sh unpacks the upstream source trees.
DEPS_DIR = "/opt/valkey-cpp-deps"

# Consumers name this repository "valkey_cpp" (as its WORKSPACE does); the
# native new_local_repository takes the build file as a label string.
def _label(name):
    return "@valkey_cpp//bazel/third_party:" + name

def valkey_cpp_dependencies(deps_dir = DEPS_DIR):
    maybe(
        native.local_repository,
        name = "com_google_absl",
        path = deps_dir + "/abseil-20220623.1",
    )
    maybe(
        native.local_repository,
        name = "com_google_googletest",
        path = deps_dir + "/googletest-release-1.12.1",
    )
    maybe(
        native.local_repository,
        name = "com_github_google_benchmark",
        path = deps_dir + "/benchmark-1.7.1",
    )
    maybe(
        native.new_local_repository,
        name = "boringssl",
        path = "/usr",
        build_file = _label("boringssl.BUILD"),
    )
    maybe(
        native.new_local_repository,
        name = "com_google_protobuf",
        path = "/usr",
        build_file = _label("protobuf.BUILD"),
    )
    maybe(
        native.new_local_repository,
        name = "hiredis",
        path = "/usr",
        build_file = _label("hiredis.BUILD"),
    )
