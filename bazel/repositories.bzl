"""valkey_cpp_dependencies(): the external repositories valkey-cpp needs.

Every repository is declared with maybe(), so a workspace that already defines
one (a monorepo with its own Abseil, say) keeps its own: declare yours before
calling valkey_cpp_dependencies(). Nothing here downloads, and nothing here is
an offline shim (those are in offline.bzl, and optional). The defaults come
from Debian 12 packages installed by tools/setup.sh:

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

# The native new_local_repository takes the build file as a label string.
# Label() resolves against the repository holding this file, so the string
# names valkey_cpp's own BUILD file whatever the consumer called the
# repository ("@valkey_cpp//..." from a consumer, "//..." here).
def _label(name):
    return str(Label("//bazel/third_party:" + name))

def valkey_cpp_dependencies(deps_dir = DEPS_DIR):
    """Declares every repository valkey_cpp's BUILD files name.

    Args:
      deps_dir: where the Abseil, GoogleTest and Benchmark source trees are
        unpacked (tools/setup.sh uses /opt/valkey-cpp-deps).
    """
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
