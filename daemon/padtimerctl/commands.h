// The three kinds of padtimerctl command, each a Session:
//   Request   start/stop/pause/resume/skip/extend/reset/stop-all: publish one request, wait
//             for its result (matched by id), exit 0 (ok) or 1 (refused).
//   Snapshot  status/history: read the retained documents, print them once every zone's has
//             arrived.
//   Watch     a live view until SIGINT/SIGTERM.
#pragma once

#include <memory>

#include "padtimerctl/cli.h"
#include "padtimerctl/session.h"

namespace padtimer::ctl {

// The Session that runs `invocation` (whose connection settings are already in `connection`).
std::unique_ptr<Session> make_command(const Invocation& invocation, Connection connection);

}  // namespace padtimer::ctl
