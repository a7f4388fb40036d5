// Home Assistant MQTT discovery: one Home Assistant device per zone, described by one
// retained device-based discovery document on <prefix>/device/<base>_<zone>/config (`dev`,
// `o`, `cmps`). Its entities read the zone's retained <base>/<zone>/state and press the plain
// command topics of the control API, so Home Assistant needs nothing padtimer-specific.
//
// Pure like ControlCodec: the host says what was published before (kept in the state
// database, so removals survive restarts) and publishes what this returns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "control/control.h"
#include "core/model.h"
#include "json/json.h"
#include "store/store.h"

namespace padtimer::control {

// What is published, by discovery topic: each component id with its platform, as the state
// database keeps it. Home Assistant removes a device on an empty retained payload and a
// component of a device that stays on a document where that component has only its
// platform ("p").
using DiscoveryPublished = store::Store::Discovered;

struct DiscoveryPlan {
  std::vector<Outgoing> messages;  // retained, QoS 1, in order
  DiscoveryPublished published;    // what is published once `messages` are out
};

class HomeAssistantDiscovery {
 public:
  // `prefix`: Home Assistant's discovery prefix ("homeassistant"); `base`: padtimer's base
  // topic; `version`: padtimer's, shown by Home Assistant as the device's software.
  HomeAssistantDiscovery(std::string prefix, std::string base, std::string version);

  // Home Assistant's birth and last-will topic: <prefix>/status. On "online" it has
  // (re)started and every discovery document is published again.
  std::string status_topic() const;
  bool is_birth(std::string_view topic, std::string_view payload) const;

  // "<base>_<zone>" with characters outside A-Z a-z 0-9 _ - as '_': the device's identifier,
  // its discovery topic's object id and the prefix of its entities' unique ids.
  std::string device_id(std::string_view zone) const;
  std::string config_topic(std::string_view zone) const;

  // The discovery document of one zone.
  json::Value device_config(const core::EngineConfig& config, const core::ZoneSpec& zone) const;

  // A document for every zone of `config`; for each device in `before` whose zone is gone, an
  // empty retained payload; components in `before` that a zone no longer has are sent once
  // with only their platform, which is how Home Assistant is told to delete them.
  DiscoveryPlan publish(const core::EngineConfig& config, const DiscoveryPublished& before) const;

  // Every device in `before` removed (discovery turned off).
  static DiscoveryPlan remove_all(const DiscoveryPublished& before);

 private:
  std::string prefix_;
  std::string base_;
  std::string version_;
};

}  // namespace padtimer::control
