// Text for the broker log from strings a client chose (topics, certificate fields, ids):
// every byte outside printable ASCII, and the backslash, becomes `\xNN`, so no client can
// start a line of its own in the log or send a terminal escape sequence to whoever reads it.
#pragma once

#include <string>
#include <string_view>

namespace laneway::plugin {

std::string printable(std::string_view text);

}  // namespace laneway::plugin
