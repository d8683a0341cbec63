// StreamCommands: part of the command table (see command_table.h).

#ifndef VALKEY_CLIENT_STREAM_COMMANDS_H_
#define VALKEY_CLIENT_STREAM_COMMANDS_H_

#include "valkey/client/command_args.h"
#include "valkey/client/reply_convert.h"
#include "valkey/common/errors.h"

namespace valkey {

template <typename E>
class StreamCommands {
 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_STREAM_COMMANDS_H_
