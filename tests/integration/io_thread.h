// An io_context running on a thread of its own, for tests that drive something living on an
// io thread (an mqtt::Transport, an EngineHost) from the test thread: run(f) executes `f` on
// the io thread and returns its result.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

namespace padtimer::testing {

class IoThread {
 public:
  IoThread() : thread_([this] { io_.run(); }) {}
  ~IoThread() { stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Runs `f` on the io thread and returns its result (or rethrows its exception).
  template <typename F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Stops the io thread and waits for it. Whatever lives on it may be destroyed after this
  // (and must be, before the IoThread itself: its io_context goes with it).
  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context io_;
  // Paho's threads post into io_ at any time: keep run() going with nothing else queued.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;  // last: it starts once io_ and work_ exist
};

}  // namespace padtimer::testing
