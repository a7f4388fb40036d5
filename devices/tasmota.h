// Tasmota plugs and relays, with Tasmota's default FullTopic %prefix%/%topic%/.
//
// ON arms the lease with PulseTime<n>, the relay's own auto-off: two plain messages in
// order, `PulseTime<n> v` then `Power<n> ON`, never a Backlog (Tasmota queues a Backlog's
// commands and runs them later, after any plain OFF sent meanwhile: see tasmota.cpp). Every
// Power ON restarts PulseTime, so once the device has confirmed it holds the value (its
// RESULT echo {"PulseTime<n>":{"Set":v,...}}), a re-arm is a plain `Power<n> ON`: the
// setting, which Tasmota keeps in flash, is not rewritten. Until it has confirmed it (or
// after an LWT message: it may have restarted), PulseTime<n> is sent again before the ON, so
// a lost message can never leave the relay ON with a stale PulseTime. ON without a lease
// sets PulseTime<n> 0 the same way, so an old value cannot cut a phase.
// The state query is `Power<n>` with an empty payload, answered like a Power command.
#pragma once

#include <memory>
#include <vector>

#include "devices/driver.h"

namespace padtimer::devices {

// Options: topic (required), relay (1-8, default 1), sensor (the object name in
// tele/<topic>/SENSOR; required with a sensor block, refused without).
std::unique_ptr<Driver> make_tasmota(const core::DeviceSpec& device, const Options& options,
                                     const Context& context, std::vector<OptionProblem>& problems);

// PulseTime's encoding of a lease: 1..111 are tenths of a second (up to 11.1 s),
// 112..64900 are seconds + 100. Rounded up, so the relay never switches off before the
// engine's OFF; longer leases are clamped to 64900 (18 h); never 0 (which means "none").
int tasmota_pulse_time(core::Duration lease);

}  // namespace padtimer::devices
