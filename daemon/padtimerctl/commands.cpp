#include "padtimerctl/commands.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <deque>
#include <map>

#include "json/json.h"
#include "padtimerctl/render.h"

namespace padtimer::ctl {

namespace {

namespace asio = boost::asio;
using std::chrono::system_clock;

// Large enough for padtimerd's info with many routines.
const json::Limits kDocumentLimits{1 << 20, 16};

std::optional<json::Value> parse_document(const std::string& payload) {
  auto parsed = json::parse(payload, kDocumentLimits);
  if (!parsed) return std::nullopt;
  return std::move(*parsed.value);
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// "a, b, c"
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The zone level of <base>/<zone>/<leaf>; empty when `topic` is not one.
std::string zone_of(const std::string& topic, const std::string& base, std::string_view leaf) {
  const std::string prefix = base + "/";
  const std::string suffix = "/" + std::string(leaf);
  if (topic.size() <= prefix.size() + suffix.size() || topic.rfind(prefix, 0) != 0 ||
      topic.compare(topic.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return {};
  }
  std::string zone = topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size());
  return zone.find('/') == std::string::npos ? zone : std::string{};
}

// When the state's remaining_s was true. A retained state may be up to a minute old, so its
// own updated_at is better than the time it arrived, unless the daemon runs in scaled time
// or the clocks disagree (a time in the future).
system_clock::time_point anchor_time(const ZoneState& state, system_clock::time_point received,
                                     bool retained) {
  if (!retained || !state.updated_at || state.time_scale.value_or(1.0) != 1.0) return received;
  auto at = parse_utc(*state.updated_at);
  if (!at || *at > received) return received;
  return *at;
}

std::chrono::milliseconds since(system_clock::time_point t, system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - t);
}

// ---- Requests -----------------------------------------------------------------------------

class RequestCommand final : public Session {
 public:
  RequestCommand(const Invocation& invocation, Connection connection)
      : Session(std::move(connection)),
        invocation_(invocation),
        id_("ctl-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_)) {}

 protected:
  std::vector<std::string> subscriptions() const override { return {result_topic()}; }

  void on_connected() override {
    // After a reconnect the request is not sent again: it may have been carried out.
    if (!published_) published_ = publish(request_topic(), payload());
  }

  void on_message(const mqtt::Message& m) override {
    if (m.topic != result_topic() || m.retained || !published_) return;
    auto doc = parse_document(m.payload);
    if (!doc || !doc->is_object()) return;
    const json::Value* id = doc->find("id");
    const std::string* id_text = id ? id->as_string() : nullptr;
    bool ours = id_text && *id_text == id_;
    // padtimerd answers stop_all with an id of its own ("plain-N"), on <base>/result.
    if (stop_all() && id_text && id_text->rfind("plain-", 0) == 0) ours = true;
    if (!ours) return;

    const json::Value* ok = doc->find("ok");
    const json::Value* message = doc->find("message");
    const std::string words = message && message->as_string() ? *message->as_string() : "";
    if (ok && ok->as_bool() == true) {
      const std::string who = stop_all() ? "every zone" : invocation_.zone;
      const std::string what = stop_all() ? "stop-all" : invocation_.action;
      print(who + ": " + (words.empty() ? what + " accepted" : words) + "\n");
      finish(kExitOk);
      return;
    }
    const json::Value* code = doc->find("code");
    const std::string reason = code && code->as_string() ? *code->as_string() : "unknown";
    fail(kExitRefused, "refused (" + reason + "): " + (words.empty() ? "no reason given" : words));
  }

  void on_daemon_status() override {
    // padtimerd has gone (its last will): nothing will answer, and the request, which had
    // no subscriber, is not carried out later.
    if (daemon_status() == "offline") {
      fail(kExitUnreachable, "padtimerd is offline (" + topic("status") +
                                 " is 'offline'), so nothing will carry out the request: is "
                                 "padtimerd running?");
    }
  }

 private:
  bool stop_all() const { return invocation_.command == Command::stop_all; }

  std::string request_topic() const {
    return stop_all() ? topic("stop_all") : topic(invocation_.zone + "/set");
  }

  std::string result_topic() const {
    return stop_all() ? topic("result") : topic(invocation_.zone + "/result");
  }

  std::string payload() const {
    json::Value v = json::Value::object();
    if (!stop_all()) v.set("action", invocation_.action);
    if (invocation_.command == Command::start) v.set("routine", invocation_.routine);
    if (invocation_.command == Command::extend) v.set("minutes", invocation_.minutes);
    v.set("id", id_);
    return v.dump();
  }

  static inline int counter_ = 0;
  Invocation invocation_;
  std::string id_;
  bool published_ = false;
};

// ---- status and history -------------------------------------------------------------------

// Reads the retained documents. It knows every one has arrived when padtimerd's <base>/info
// lists zones and each has its document, or when a message it sent itself after
// subscribing comes back: the broker delivers the retained messages of a subscription
// before anything published later on the same connection.
class SnapshotCommand final : public Session {
 public:
  SnapshotCommand(const Invocation& invocation, Connection connection)
      : Session(std::move(connection)),
        invocation_(invocation),
        leaf_(invocation.command == Command::history ? "history" : "state"),
        sync_topic_(topic("padtimerctl/" + client_id())) {}

 protected:
  std::vector<std::string> subscriptions() const override {
    return {topic("info"), topic("+/" + leaf_), sync_topic_};
  }

  void on_connected() override { publish(sync_topic_, "sync"); }

  void on_message(const mqtt::Message& m) override {
    if (m.topic == sync_topic_) {
      synced_ = true;
    } else if (m.topic == topic("info")) {
      info_doc_ = parse_document(m.payload);
      info_ = info_doc_ ? read_info(*info_doc_) : std::nullopt;
    } else if (std::string zone = zone_of(m.topic, connection().base, leaf_); !zone.empty()) {
      auto doc = parse_document(m.payload);
      const bool valid =
          doc && (leaf_ == "state" ? read_state(*doc).has_value() : read_history(*doc).has_value());
      if (valid) {
        docs_[zone] = Received{std::move(*doc), system_clock::now(), m.retained};
      } else {
        docs_.erase(zone);  // cleared (empty) or unreadable
      }
    } else {
      return;
    }
    if (complete()) show();
  }

  void on_timeout() override {
    const bool heard = ever_connected() && (info_ || !docs_.empty());
    const auto missing = missing_zones();
    if (heard && !missing.empty()) {
      fail(kExitUnreachable, "no " + leaf_ + " of " + join(missing) + " within " +
                                 connection().timeout_text + " (padtimerd lists " +
                                 (missing.size() == 1 ? "it" : "them") + " in " + topic("info") +
                                 ")");
    } else if (heard) {
      // Without info and without our own message back (a broker ACL may refuse it), there
      // is no telling whether more was coming: show what arrived.
      show();
    } else {
      fail(kExitUnreachable, silence_message(leaf_));
    }
  }

 private:
  struct Received {
    json::Value doc;
    system_clock::time_point at;
    bool retained = false;
  };

  // The zones to show: the one asked for, else padtimerd's (from info), else whatever
  // arrived.
  std::vector<std::string> zones() const {
    if (!invocation_.zone.empty()) return {invocation_.zone};
    if (info_ && info_->zones) return *info_->zones;
    std::vector<std::string> names;
    for (const auto& [zone, received] : docs_)
      names.push_back(zone);
    return names;
  }

  std::vector<std::string> missing_zones() const {
    std::vector<std::string> missing;
    for (const auto& zone : zones()) {
      if (!docs_.count(zone)) missing.push_back(zone);
    }
    return missing;
  }

  bool complete() const {
    if (synced_) return true;
    const bool zones_known = !invocation_.zone.empty() || (info_ && info_->zones);
    return zones_known && missing_zones().empty();
  }

  void show() {
    if (!daemon_status() && !info_ && docs_.empty()) {
      fail(kExitUnreachable, "nothing is published under " + topic("") + " on " +
                                 connection().mqtt.url +
                                 ": is padtimerd running, with this broker and base topic '" +
                                 connection().base + "'?");
      return;
    }
    if (zones().empty() && !(info_ && info_->zones)) {
      fail(kExitUnreachable,
           "nothing is published on " + topic("+/" + leaf_) + " although " + topic("") + " has " +
               (daemon_status() ? "a status ('" + *daemon_status() + "')" : "an info") +
               ": is padtimerd too old to publish " + leaf_ + ", or is the base topic wrong?");
      return;
    }
    const std::string& zone = invocation_.zone;
    if (!zone.empty() && !docs_.count(zone)) {
      if (info_ && info_->zones &&
          std::find(info_->zones->begin(), info_->zones->end(), zone) == info_->zones->end()) {
        fail(kExitRefused, "padtimerd has no zone '" + zone + "'; its zones: " +
                               (info_->zones->empty() ? "none" : join(*info_->zones)));
      } else {
        fail(kExitRefused, "nothing is published on " + topic(zone + "/" + leaf_) +
                               ": padtimerd has no zone '" + zone + "', or has not published it");
      }
      return;
    }
    print(invocation_.json ? json_text() : text());
    finish(kExitOk);
  }

  std::string json_text() const {
    json::Value zones_doc = json::Value::object();
    for (const auto& zone : zones()) {
      auto it = docs_.find(zone);
      if (it == docs_.end()) {
        zones_doc.set(zone, json::Value());
        continue;
      }
      json::Value doc = it->second.doc;
      if (invocation_.limit && leaf_ == "history") {
        if (const json::Value* sessions = doc.find("sessions"); sessions && sessions->as_array()) {
          const json::Array& all = *sessions->as_array();
          json::Array kept(all.begin(), all.begin() + std::min(all.size(), *invocation_.limit));
          doc.set("sessions", json::Value(std::move(kept)));
        }
      }
      zones_doc.set(zone, std::move(doc));
    }
    json::Value out = json::Value::object({
        {"status", daemon_status() ? json::Value(*daemon_status()) : json::Value()},
        {"info", info_doc_ ? *info_doc_ : json::Value()},
        {"zones", std::move(zones_doc)},
    });
    return out.dump() + "\n";
  }

  // Blocks separated by blank lines: for status the daemon first, then each zone.
  std::string text() const {
    const auto now = system_clock::now();
    std::vector<std::string> blocks;
    if (leaf_ == "state") {
      std::string daemon = daemon_line(daemon_status(), info_, now) + "\n";
      if (daemon_status() == "offline") {
        daemon += "padtimerd is offline: below are the last states it published\n";
      }
      blocks.push_back(std::move(daemon));
    }
    if (zones().empty()) blocks.push_back("padtimerd has no zones\n");
    for (const auto& zone : zones()) {
      auto it = docs_.find(zone);
      if (it == docs_.end()) {
        blocks.push_back(zone + ": no " + leaf_ + " published yet\n");
      } else if (leaf_ == "state") {
        const ZoneState state = *read_state(it->second.doc);
        const auto anchor = anchor_time(state, it->second.at, it->second.retained);
        blocks.push_back(status_block(state, remaining_at(state, since(anchor, now)), now));
      } else {
        blocks.push_back(history_block(*read_history(it->second.doc), invocation_.limit, now));
      }
    }
    std::string out;
    for (const auto& block : blocks)
      out += (out.empty() ? "" : "\n") + block;
    return out;
  }

  Invocation invocation_;
  std::string leaf_;        // "state" or "history"
  std::string sync_topic_;  // our own message comes back here after the retained ones
  bool synced_ = false;
  std::optional<json::Value> info_doc_;
  std::optional<Info> info_;
  std::map<std::string, Received> docs_;
};

// ---- watch --------------------------------------------------------------------------------

class WatchCommand final : public Session {
 public:
  WatchCommand(const Invocation&, Connection connection)
      : Session(std::move(connection)), terminal_(::isatty(STDOUT_FILENO) == 1), ticker_(io()) {}

 protected:
  std::vector<std::string> subscriptions() const override {
    return {topic("info"), topic("+/state"), topic("+/event")};
  }

  void on_connected() override {
    cancel_deadline();  // --timeout bounds the first connection only
    const std::string& url = connection().mqtt.url;
    if (!started_) {
      started_ = true;
      note("connected to " + url + ", watching " + topic("") + " (Ctrl-C to stop)");
      if (terminal_) tick();
    } else {
      note("reconnected to " + url);
    }
    lost_.reset();
    redraw();
  }

  void on_lost(const std::string& cause) override {
    const std::string what = "lost the connection to " + connection().mqtt.url;
    const std::string why = " (" + cause + "); reconnecting";
    lost_ = what + " at " + local_clock(system_clock::now()) + why;
    if (!terminal_) line(what + why);
    redraw();
  }

  void on_timeout() override { fail(kExitUnreachable, silence_message("state")); }

  void on_signal(int) override {
    if (terminal_) print("\n");
    finish(kExitOk);
  }

  void on_daemon_status() override { show_daemon(); }

  void on_message(const mqtt::Message& m) override {
    const auto now = system_clock::now();
    if (m.topic == topic("info")) {
      auto doc = parse_document(m.payload);
      info_ = doc ? read_info(*doc) : std::nullopt;
      if (info_ && !terminal_) {
        if (std::string text = info_line(*info_, now); text != last_info_line_) {
          last_info_line_ = text;
          line(text);
        }
      }
      show_daemon();
      return;
    }
    if (std::string zone = zone_of(m.topic, connection().base, "state"); !zone.empty()) {
      auto doc = parse_document(m.payload);
      auto state = doc ? read_state(*doc) : std::nullopt;
      if (!state) return;
      std::string key = fingerprint(*doc);
      auto it = zones_.find(zone);
      const bool changed = it == zones_.end() || it->second.fingerprint != key;
      zones_[zone] = Tracked{*state, anchor_time(*state, now, m.retained), std::move(key)};
      if (changed && !terminal_) {
        line(state_line(*state, remaining_at(*state, since(zones_[zone].anchor, now)), now));
      }
      redraw();
      return;
    }
    if (!zone_of(m.topic, connection().base, "event").empty()) {
      auto doc = parse_document(m.payload);
      auto event = doc ? read_event(*doc) : std::nullopt;
      if (!event) return;
      line(event_line(*event));
      redraw();
    }
  }

 private:
  struct Tracked {
    ZoneState state;
    system_clock::time_point anchor;  // when remaining_s was true
    std::string fingerprint;
  };

  // The state without its time stamp: a re-publication of the same state is no change.
  static std::string fingerprint(const json::Value& doc) {
    json::Object members;
    for (const auto& member : *doc.as_object()) {
      if (member.first != "updated_at") members.push_back(member);
    }
    return json::Value(std::move(members)).dump();
  }

  // A time-stamped line: printed at once without a terminal, kept for the table with one.
  void line(const std::string& text) {
    std::string stamped = local_clock(system_clock::now()) + " " + text;
    if (!terminal_) {
      print(stamped + "\n");
      return;
    }
    recent_.push_back(std::move(stamped));
    while (recent_.size() > kRecentLines)
      recent_.pop_front();
  }

  // Connection news: a line without a terminal, the title line with one.
  void note(const std::string& text) {
    if (!terminal_) line(text);
  }

  // The terminal's title line; without a terminal, a line when padtimerd goes online or
  // offline (its info has a line of its own).
  void show_daemon() {
    last_daemon_line_ = daemon_line(daemon_status(), info_, system_clock::now());
    if (!terminal_ && daemon_status() && *daemon_status() != last_status_) {
      last_status_ = *daemon_status();
      line("padtimerd " + last_status_);
    }
    redraw();
  }

  std::vector<std::string> zone_order() const {
    std::vector<std::string> order;
    if (info_ && info_->zones) order = *info_->zones;
    for (const auto& [zone, tracked] : zones_) {
      if (std::find(order.begin(), order.end(), zone) == order.end()) order.push_back(zone);
    }
    return order;
  }

  // Sampled four times a second, drawn when something changed (the clock, at least once a
  // second): a countdown sampled only once a second would now and then skip a second.
  void tick() {
    redraw();
    ticker_.expires_after(std::chrono::milliseconds{250});
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !finished()) tick();
    });
  }

  // The whole screen, from the top left: each line clears its rest, then everything below.
  void redraw() {
    if (!terminal_ || !started_ || finished()) return;
    const auto now = system_clock::now();
    std::vector<TableRow> rows;
    std::string faults;
    for (const auto& zone : zone_order()) {
      auto it = zones_.find(zone);
      if (it == zones_.end()) {
        rows.push_back({zone, std::nullopt, std::nullopt});
        continue;
      }
      const ZoneState& s = it->second.state;
      rows.push_back({zone, s, remaining_at(s, since(it->second.anchor, now))});
      if (s.fault_message) faults += zone + ": " + *s.fault_message + "\n";
      if (s.next_allowed_start && !s.phase) {
        faults += zone + ": next start " + local_moment(*s.next_allowed_start, now) + "\n";
      }
    }
    std::string screen = "padtimerctl watch  " + topic("") + " on " + connection().mqtt.url + "  " +
                         local_clock(now) + "  (Ctrl-C to stop)\n";
    screen += lost_ ? *lost_ + "\n" : last_daemon_line_ + "\n";
    screen += "\n" + zone_table(rows);
    if (!faults.empty()) screen += "\n" + faults;
    if (!recent_.empty()) {
      screen += "\nRecent events:\n";
      for (const auto& l : recent_)
        screen += l + "\n";
    }
    std::string out = "\x1b[H";
    std::size_t start = 0, end;
    while ((end = screen.find('\n', start)) != std::string::npos) {
      out += screen.substr(start, end - start) + "\x1b[K\n";
      start = end + 1;
    }
    out += "\x1b[J";
    if (out == last_screen_) return;
    last_screen_ = out;
    print(out);
  }

  static constexpr std::size_t kRecentLines = 10;
  bool terminal_;
  bool started_ = false;
  asio::steady_timer ticker_;
  std::optional<std::string> lost_;
  std::optional<Info> info_;
  std::string last_daemon_line_;
  std::string last_screen_;
  std::string last_status_;
  std::string last_info_line_;
  std::map<std::string, Tracked> zones_;
  std::deque<std::string> recent_;
};

}  // namespace

std::unique_ptr<Session> make_command(const Invocation& invocation, Connection connection) {
  switch (invocation.command) {
    case Command::status:
    case Command::history:
      return std::make_unique<SnapshotCommand>(invocation, std::move(connection));
    case Command::watch: return std::make_unique<WatchCommand>(invocation, std::move(connection));
    default: return std::make_unique<RequestCommand>(invocation, std::move(connection));
  }
}

}  // namespace padtimer::ctl
