// valkey-cli-like client: see examples/cli.h for flags and exit codes.
//   bazel run //examples:cli -- --url=valkey://127.0.0.1:6379 PING

#include <iostream>
#include <string>
#include <vector>

#include "examples/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return valkey::examples::RunCli(args, std::cout, std::cerr);
}
