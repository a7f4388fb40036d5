// Persistence: every session and its phases in SQLite, and what the engine needs at start
// (last session end, today's exposure, an interrupted session, and the engine's own safety
// record: latched faults, when pads were last ON, pads that may still be ON) to keep rest
// intervals, daily caps and faults across restarts, reloads, kill -9 and power loss.
//
// The database is <state dir>/padtimer.db in WAL mode with synchronous=FULL: a call that
// returned has its transaction on disk. A database that is corrupt, unwritable or written by
// a newer padtimer is a start-up error naming the file; padtimer never resets it.
//
// Times are stored as milliseconds since the Unix epoch (UTC wall time).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/io.h"
#include "core/model.h"
#include "core/time.h"

struct sqlite3;

namespace padtimer::store {

// The database file inside the state directory.
inline constexpr std::string_view kDatabaseFile = "padtimer.db";
// The schema this build writes and reads.
inline constexpr int kSchemaVersion = 1;
// The outcome of a session found running at start-up (see Store::mark_interrupted()).
inline constexpr std::string_view kInterruptedOutcome = "interrupted";
// The time ON assumed for a therapy phase that was running when padtimer died is the time
// from its start to the session's last heartbeat, capped at this (the longest phase).
inline constexpr core::Duration kOpenPhaseCap = std::max(core::kHeatPhaseMax, core::kColdPhaseMax);

struct PhaseRecord {
  int index = 0;
  core::PhaseKind kind = core::PhaseKind::rest;
  core::WallTime started_at{};
  std::optional<core::WallTime> ended_at;  // absent while running
  core::Duration on_time{};                // time the device was commanded ON
};

struct SessionRecord {
  std::int64_t id = 0;
  std::string zone;
  std::string routine;
  core::WallTime started_at{};
  std::optional<core::WallTime> ended_at;  // absent while running
  // to_string(SessionOutcome), or kInterruptedOutcome; empty while running.
  std::string outcome;
  core::WallTime last_seen_at{};  // the last heartbeat or event of the session
  // Heat + cold time ON; a phase still open counts as in load_history().
  core::Duration exposure{};
  std::vector<PhaseRecord> phases;
};

// A database error after a successful open (disk full, I/O error). The message names the
// database file and the operation.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpenResult;

// How load_history() reads the clocks.
struct LoadOptions {
  // Names the monotonic clock of `now` (the boot, for CLOCK_BOOTTIME): records made on the
  // same clock hand their monotonic times over, which wall-clock jumps cannot move. Empty:
  // never the same clock.
  std::string clock_id;
  // The UTC offset at a given wall time, so that local days are counted right across a DST
  // change. Absent: the offset of `now` everywhere.
  std::function<std::chrono::minutes(core::WallTime)> utc_offset_at;
};

class Store {
 public:
  // Opens (or creates) <dir>/padtimer.db. Fails with a message meant for the user when the
  // directory is missing or unwritable, the database is corrupt, or its schema is newer.
  static OpenResult open(const std::filesystem::path& dir);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::filesystem::path& path() const { return path_; }

  // A session that never ended (the process died) may have kept a device ON this long after
  // its last sign of life: up to a heartbeat period unrecorded, then the device's own
  // auto-off lease and its delivery. Such a session counts as ended that much later, so the
  // rest interval after a crash starts when the pad may last have been ON; a pad the safety
  // record says was commanded ON is counted ON that long too. Default: zero.
  void set_run_on_after_death(core::Duration run_on) { run_on_ = run_on; }

  // Consumes the engine's events in order, each in one transaction: session_started,
  // phase_started, phase_ended, session_ended; any other event of a running session only
  // refreshes its last_seen_at. Throws StoreError.
  void record(const core::ZoneEvent& event);

  // Marks every running session, and the daemon itself, as alive at `now`, so that if
  // padtimer dies, the time it stopped is known to within the heartbeat period. Throws
  // StoreError.
  void heartbeat(core::WallTime now);

  // Keeps the engine's safety record of a zone (core::PersistSafety), made on the
  // monotonic clock named `clock_id`, in one transaction: the latest record per zone as
  // core::merge_records() has it (a record made with the clock behind or in doubt does not
  // replace an earlier life's), and the larger exposure per zone and local day. Throws
  // StoreError.
  void save_safety(const core::ZoneSafety& record, std::string_view clock_id);
  void save_safety(const std::vector<core::ZoneSafety>& records, std::string_view clock_id);

  // One entry per zone that has any session or safety record: when its rest counts from
  // (the latest session end — for a session that never ended, its last_seen_at plus the
  // run-on, with session_interrupted set — or a pad's last moment ON), its latched fault,
  // the pads that may still be ON, and the exposure of the local day of `now` (the larger
  // of the sessions that started that day and the engine's own count, plus what a pad may
  // have run on after the last sign of life); and one with an empty zone whose recorded_at
  // is the daemon's last heartbeat. Throws StoreError.
  std::vector<core::ZoneHistory> load_history(const core::Now& now,
                                              const LoadOptions& options = {}) const;
  // The same at `now` with a fixed UTC offset and no monotonic time.
  std::vector<core::ZoneHistory> load_history(core::WallTime now,
                                              std::chrono::minutes utc_offset) const;

  // Closes every session that never ended (the process died) with outcome "interrupted",
  // ending at its last_seen_at plus the run-on, and its open phase (at last_seen_at) with the time
  // ON load_history() assumed. Call it after the engine was given load_history(), so each is
  // reported once. Returns the number of sessions closed. Throws StoreError.
  int mark_interrupted();

  // The latest `limit` sessions (of `zone`, or of every zone when empty), newest first,
  // with their phases. Throws StoreError.
  std::vector<SessionRecord> recent_sessions(int limit, std::string_view zone = {}) const;

  // The scheduler's progress: every schedule occurrence up to and including this time was
  // handled. Absent until first set. Throws StoreError.
  std::optional<core::WallTime> schedules_checked_until() const;
  void set_schedules_checked_until(core::WallTime t);

  // Under --time-scale: the real wall time the scaled clock runs from, so that it goes on
  // where it was after a restart instead of starting again from the real time. Absent until
  // first set. Throws StoreError.
  std::optional<core::WallTime> time_scale_origin() const;
  void set_time_scale_origin(core::WallTime t);

  // What Home Assistant discovery has published: discovery topic -> component id ->
  // platform. The setter replaces it all in one transaction. Throw StoreError.
  using Discovered = std::map<std::string, std::map<std::string, std::string>>;
  Discovered discovery_published() const;
  void set_discovery_published(const Discovered& published);

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };

  Store(std::unique_ptr<sqlite3, Closer> db, std::filesystem::path path);
  std::optional<core::WallTime> saved_time(std::string_view key) const;
  // The kept safety records (of one zone, or of every zone when empty), each with the name
  // of the monotonic clock its times come from.
  struct Kept {
    core::ZoneSafety record;
    std::string clock_id;
    std::string doubt_clock_id;  // record.clock_doubt's
  };
  std::vector<Kept> kept_records(std::string_view zone = {}) const;
  void save_one(const core::ZoneSafety& record, std::string_view clock_id);
  void save_time(std::string_view key, core::WallTime t);

  std::unique_ptr<sqlite3, Closer> db_;
  std::filesystem::path path_;
  core::Duration run_on_{};
};

struct OpenResult {
  std::optional<Store> store;
  std::string error;  // set when store is absent

  explicit operator bool() const { return store.has_value(); }
};

}  // namespace padtimer::store
