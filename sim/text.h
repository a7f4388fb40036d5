// Small text helpers shared by the protocols and the option parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace padtimer::sim {

std::string_view trim(std::string_view s);
std::string lower(std::string_view s);
// The whole text as a decimal integer (optional leading '-'); empty otherwise.
std::optional<long long> parse_integer(std::string_view s);
// The whole text as a finite decimal number ("1", "-2.5", "1e3"); empty otherwise.
std::optional<double> parse_number(std::string_view s);

}  // namespace padtimer::sim
