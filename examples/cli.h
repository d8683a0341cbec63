// A small valkey-cli-like command-line client on the library, as a function
// so tests can run it in-process:
//
//   cli --url=valkey://localhost:6379 SET greeting hello
//   cli --config=client.textproto GET greeting
//   cli --config=client.textproto --print_config
//
// Flags: --url=URL or --config=FILE (text-proto ClientConfig; default
// valkey://127.0.0.1:6379), --print_config (print the resolved config as
// text proto with every secret redacted, then exit), --help. The remaining
// arguments are the command. Replies print as valkey-cli prints them on a
// terminal ("(integer) 1", "(nil)", numbered arrays, ...).
//
// Exit status: 0 on success, 1 when the server answered with an error reply,
// 2 on a connection, configuration or usage error; errors go to `err` as one
// line.

#ifndef VALKEY_EXAMPLES_CLI_H_
#define VALKEY_EXAMPLES_CLI_H_

#include <ostream>
#include <string>
#include <vector>

#include "valkey/common/reply.h"

namespace valkey::examples {

int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err);

// Formats a reply the way valkey-cli does on a terminal.
std::string FormatReply(const ReplyView& reply);

}  // namespace valkey::examples

#endif  // VALKEY_EXAMPLES_CLI_H_
