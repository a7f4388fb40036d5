// Runs an EngineHost (engine + drivers + real MQTT transport) on its own io thread for an
// integration test, and lets the test thread look at the engine safely: every query runs
// on the io thread, and waiting is woken by the host's own activity, never by a sleep.
#pragma once

#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "host/clock.h"
#include "host/engine_host.h"
#include "io_thread.h"

namespace padtimer::testing {

class HostRunner {
 public:
  HostRunner(core::EngineConfig config, host::EngineHost::Drivers drivers,
             mqtt::Settings settings) {
    host_ = std::make_unique<host::EngineHost>(
        io_.io(), std::move(config), std::move(drivers), std::vector<core::ZoneHistory>{},
        std::move(settings), host::Clock{}, [this](const core::Command& c) { record(c); });
    host_->on_activity([this] { poke(); });
    boost::asio::post(io_.io(), [this] { host_->start(); });
  }

  ~HostRunner() { stop(/*clean=*/true); }

  // clean=false: the process "dies": no OFF, no offline status, the io thread just stops.
  void stop(bool clean) {
    if (!host_) return;
    if (clean) {
      run([this] { host_->stop(); });
    }
    io_.stop();
    host_.reset();  // Paho's client goes with it; its session ends without a goodbye
  }

  // Runs `f` on the io thread and returns its result.
  template <typename F>
  auto run(F f) -> decltype(f()) {
    return io_.run(std::move(f));
  }

  void request(core::Request r) {
    run([this, r] { host_->handle(r); });
  }

  // Waits until `pred(engine)` holds, re-checking after each burst of host activity.
  template <typename Pred>
  bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
    return wait_until_host([&pred](host::EngineHost& h) { return pred(h.engine()); }, timeout);
  }

  template <typename Pred>
  bool wait_until_host(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::uint64_t seen = activity_count();
      if (run([this, &pred] { return pred(*host_); })) return true;
      std::unique_lock lock(mutex_);
      if (!cv_.wait_until(lock, deadline, [&] { return activity_ != seen; })) return false;
    }
  }

  // Commands other than SetOutput, as the engine emitted them.
  std::vector<core::Command> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }

  template <typename Pred>
  bool wait_for_command(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& c : commands_) {
        if (pred(c)) return true;
      }
      return false;
    });
  }

 private:
  void record(const core::Command& c) {
    std::lock_guard lock(mutex_);
    commands_.push_back(c);
  }
  void poke() {
    std::lock_guard lock(mutex_);
    ++activity_;
    cv_.notify_all();
  }
  std::uint64_t activity_count() {
    std::lock_guard lock(mutex_);
    return activity_;
  }

  IoThread io_;  // before the host: it outlives it
  std::unique_ptr<host::EngineHost> host_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t activity_ = 0;
  std::vector<core::Command> commands_;
};

}  // namespace padtimer::testing
