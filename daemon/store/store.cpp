#include "store/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <system_error>
#include <utility>
#include "core/history.h"

namespace padtimer::store {

namespace fs = std::filesystem;
using core::Duration;
using core::WallTime;

namespace {

constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;

std::int64_t to_ms(WallTime t) {
  return t.time_since_epoch().count();
}
WallTime from_ms(std::int64_t ms) {
  return WallTime{Duration{ms}};
}

core::PhaseKind parse_kind(std::string_view text) {
  if (text == "heat") return core::PhaseKind::heat;
  if (text == "cold") return core::PhaseKind::cold;
  return core::PhaseKind::rest;
}

// An SQLite failure, with its (extended) result code for open() to classify.
class SqliteError : public StoreError {
 public:
  SqliteError(int code, std::string sqlite_message, const std::string& what)
      : StoreError(what), code_(code), sqlite_message_(std::move(sqlite_message)) {}
  int code() const { return code_; }
  const std::string& sqlite_message() const { return sqlite_message_; }

 private:
  int code_;
  std::string sqlite_message_;
};

[[noreturn]] void fail(sqlite3* db, int code, const fs::path& path, std::string_view doing) {
  std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteError(code, message,
                    "state database " + path.string() + ": " + std::string(doing) + ": " + message);
}

void exec(sqlite3* db, const fs::path& path, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, path, sql);
}

class Statement {
 public:
  Statement(sqlite3* db, const fs::path& path, std::string_view sql) : db_(db), path_(path) {
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, path_, "prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    // An empty view may have no data pointer, which SQLite would bind as NULL, not ''.
    const char* text = value.data() != nullptr ? value.data() : "";
    check(sqlite3_bind_text(stmt_, index, text, static_cast<int>(value.size()), SQLITE_TRANSIENT));
    return *this;
  }

  // True when a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, path_, sqlite3_sql(stmt_));
  }
  void run() {
    while (step()) {
    }
  }
  // Ready to bind and run again.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(db_, rc, path_, "bind");
  }

  sqlite3* db_;
  const fs::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN ... COMMIT, rolled back if not committed (an exception on the way).
class Transaction {
 public:
  Transaction(sqlite3* db, const fs::path& path, const char* begin = "BEGIN IMMEDIATE")
      : db_(db), path_(path) {
    exec(db_, path_, begin);
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  const fs::path& path_;
  bool done_ = false;
};

// The time ON of a therapy phase `p` of session `s`: what the engine reported when the
// phase ended, otherwise (the process died mid-phase) the time from its start to the
// session's end or last sign of life, capped at the longest phase. Parameter ?1 is the cap.
constexpr const char* kPhaseOnMs =
    "(CASE WHEN p.ended_at IS NOT NULL THEN p.on_ms "
    "ELSE max(p.on_ms, min(max(coalesce(s.ended_at, s.last_seen_at) - p.started_at, 0), ?1)) "
    "END)";

constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  zone TEXT NOT NULL,
  routine TEXT NOT NULL,
  started_at INTEGER NOT NULL,  -- ms since the Unix epoch, UTC
  ended_at INTEGER,             -- NULL while running
  outcome TEXT,                 -- NULL while running
  last_seen_at INTEGER NOT NULL,
  CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX sessions_by_zone ON sessions(zone, started_at);
CREATE INDEX sessions_by_start ON sessions(started_at);
CREATE TABLE phases (
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  phase_index INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('heat', 'cold', 'rest')),
  started_at INTEGER NOT NULL,
  ended_at INTEGER,             -- NULL while running
  on_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, phase_index)
);
)sql";

// Small facts of the daemon by name. Added to version 1 without a version change: every
// open creates it when missing, and an older padtimer leaves it alone.
constexpr const char* kDaemonStateTable = R"sql(
CREATE TABLE IF NOT EXISTS daemon_state (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql";

// What Home Assistant discovery has published (topic, component id, platform), so that a
// zone or component gone from the config is removed there even across a restart. Added
// like daemon_state.
constexpr const char* kDiscoveryTable = R"sql(
CREATE TABLE IF NOT EXISTS ha_discovery (
  topic TEXT NOT NULL,
  component TEXT NOT NULL,
  platform TEXT NOT NULL,
  PRIMARY KEY (topic, component)
);
)sql";

// The engine's safety record (core::ZoneSafety): the latest per zone, the pads that may be
// ON with it, and the exposure per zone and local day (the larger count wins). Added like
// daemon_state: an older padtimer leaves them alone.
constexpr const char* kSafetyTables = R"sql(
CREATE TABLE IF NOT EXISTS zone_safety (
  zone TEXT PRIMARY KEY,
  recorded_at INTEGER NOT NULL,    -- ms since the Unix epoch, UTC
  recorded_mono INTEGER NOT NULL,  -- ms on the monotonic clock named clock_id
  clock_id TEXT NOT NULL,
  fault TEXT NOT NULL,             -- reason code; 'ok' when nothing is latched
  fault_message TEXT NOT NULL,
  rest_from INTEGER,               -- ms, UTC: the rest counts from here
  rest_from_mono INTEGER,
  exposure_day INTEGER NOT NULL,   -- local days since 1970-01-01
  exposure_ms INTEGER NOT NULL,
  session INTEGER NOT NULL,
  clock_doubt_ms INTEGER,          -- the engine's clock doubt (wall minus monotonic time),
  doubt_clock_id TEXT              -- on this monotonic clock
);
CREATE TABLE IF NOT EXISTS zone_maybe_on (
  zone TEXT NOT NULL,
  device TEXT NOT NULL,
  commanded_on INTEGER NOT NULL,
  until INTEGER,                   -- ms, UTC; NULL: no auto-off, ON until it confirms OFF
  PRIMARY KEY (zone, device)
);
CREATE TABLE IF NOT EXISTS zone_exposure (
  zone TEXT NOT NULL,
  day INTEGER NOT NULL,
  exposure_ms INTEGER NOT NULL,
  PRIMARY KEY (zone, day)
);
)sql";

constexpr std::string_view kSchedulesCheckedUntil = "schedules_checked_until";  // ms, UTC
constexpr std::string_view kAliveAt = "alive_at";  // ms, UTC: the daemon's last heartbeat
constexpr std::string_view kTimeScaleOrigin = "time_scale_origin";  // ms, UTC: real wall time

std::string corrupt_message(const fs::path& path, const std::string& detail) {
  return "state database " + path.string() + " is corrupt: " + detail +
         "; move it aside to start fresh \xe2\x80\x94 padtimer never resets it silently";
}

// Checks the file and brings the schema up. Returns an error for the user, or "".
std::string prepare(sqlite3* db, const fs::path& path) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  {
    // The first read of the file: a file that is not a database fails here.
    Statement check(db, path, "PRAGMA integrity_check(5)");
    std::string problems;
    while (check.step()) {
      std::string row = check.text(0);
      if (row == "ok") continue;
      for (char& c : row)
        if (c == '\n') c = ' ';
      problems += (problems.empty() ? "" : "; ") + row;
    }
    if (!problems.empty()) return corrupt_message(path, problems);
  }
  {
    Statement wal(db, path, "PRAGMA journal_mode=WAL");
    std::string mode = wal.step() ? wal.text(0) : std::string();
    if (mode != "wal") {
      return "state database " + path.string() + ": cannot switch to WAL journaling (got '" + mode +
             "')";
    }
  }
  exec(db, path, "PRAGMA synchronous=FULL");
  exec(db, path, "PRAGMA foreign_keys=ON");

  Transaction tx(db, path);
  Statement has_version(db, path,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'schema_version'");
  has_version.step();
  if (has_version.int64(0) == 0) {
    Statement any(db, path, "SELECT count(*) FROM sqlite_master");
    any.step();
    if (any.int64(0) != 0) {
      return "state database " + path.string() +
             " is not a padtimer database (it has no schema_version table); move it aside or "
             "choose another --state-dir";
    }
    exec(db, path, kSchema);
    Statement(db, path, "INSERT INTO schema_version(version) VALUES (?)")
        .bind(1, std::int64_t{kSchemaVersion})
        .run();
  } else {
    Statement version(db, path, "SELECT max(version) FROM schema_version");
    version.step();
    if (version.is_null(0)) return corrupt_message(path, "the schema_version table is empty");
    std::int64_t found = version.int64(0);
    if (found > kSchemaVersion) {
      return "state database " + path.string() + " has schema version " + std::to_string(found) +
             ", written by a newer padtimer (this one knows up to " +
             std::to_string(kSchemaVersion) +
             "); run the newer padtimer, or move the file aside to start fresh";
    }
    // Versions below kSchemaVersion would be migrated here; 1 is the first.
  }
  exec(db, path, kDaemonStateTable);
  exec(db, path, kDiscoveryTable);
  exec(db, path, kSafetyTables);
  tx.commit();
  return {};
}

bool is_corruption(int code) {
  int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

std::optional<std::int64_t> running_session(sqlite3* db, const fs::path& path,
                                            const std::string& zone) {
  Statement q(db, path,
              "SELECT id FROM sessions WHERE zone = ? AND ended_at IS NULL "
              "ORDER BY started_at DESC, id DESC LIMIT 1");
  q.bind(1, zone);
  if (!q.step()) return std::nullopt;
  return q.int64(0);
}

void touch(sqlite3* db, const fs::path& path, std::int64_t session, std::int64_t at) {
  Statement(db, path, "UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?")
      .bind(1, at)
      .bind(2, session)
      .run();
}

// Closes the sessions that never ended (of `zone`, or all) as interrupted at their
// last_seen_at plus `run_on`, their open phases at last_seen_at with the time ON
// load_history() assumes for them.
int close_running(sqlite3* db, const fs::path& path, const std::string* zone, Duration run_on) {
  std::string filter = zone ? " AND s.zone = ?2" : "";
  Statement phases(db, path,
                   "UPDATE phases AS p SET "
                   "on_ms = CASE WHEN p.kind = 'rest' THEN p.on_ms ELSE " +
                       std::string(kPhaseOnMs) +
                       " END, "
                       "ended_at = max(s.last_seen_at, p.started_at) "
                       "FROM sessions AS s "
                       "WHERE s.id = p.session_id AND s.ended_at IS NULL AND p.ended_at IS NULL" +
                       filter);
  phases.bind(1, kOpenPhaseCap.count());
  if (zone) phases.bind(2, *zone);
  phases.run();

  Statement sessions(db, path,
                     std::string("UPDATE sessions AS s SET ended_at = s.last_seen_at + ?3, "
                                 "outcome = ?1 WHERE s.ended_at IS NULL") +
                         filter);
  sessions.bind(1, kInterruptedOutcome);
  sessions.bind(3, std::int64_t{run_on.count()});
  if (zone) sessions.bind(2, *zone);
  sessions.run();
  return sqlite3_changes(db);
}

}  // namespace

void Store::Closer::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

Store::Store(std::unique_ptr<sqlite3, Closer> db, fs::path path)
    : db_(std::move(db)), path_(std::move(path)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

OpenResult Store::open(const fs::path& dir) {
  OpenResult result;
  std::error_code ec;
  fs::file_status status = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    result.error = "cannot access state directory " + dir.string() + ": " + ec.message();
    return result;
  }
  if (!fs::exists(status)) {
    result.error = "state directory " + dir.string() +
                   " does not exist; create it (systemd's StateDirectory= does) or choose "
                   "another with --state-dir";
    return result;
  }
  if (!fs::is_directory(status)) {
    result.error = "state directory " + dir.string() + " is not a directory";
    return result;
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    result.error = "state directory " + dir.string() +
                   " is not writable by this user: " + std::strerror(errno);
    return result;
  }
  fs::path path = dir / kDatabaseFile;
  if (fs::exists(path, ec) && ::access(path.c_str(), R_OK | W_OK) != 0) {
    result.error = "state database " + path.string() +
                   " is not writable by this user: " + std::strerror(errno);
    return result;
  }

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);
  if (rc != SQLITE_OK) {
    result.error = "cannot open state database " + path.string() + ": " +
                   (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    return result;
  }
  if (sqlite3_db_readonly(raw, "main") == 1) {
    result.error = "state database " + path.string() + " is not writable by this user";
    return result;
  }
  try {
    result.error = prepare(raw, path);
  } catch (const SqliteError& e) {
    result.error = is_corruption(e.code())
                       ? corrupt_message(path, e.sqlite_message())
                       : "cannot open state database " + path.string() + ": " + e.sqlite_message();
  }
  if (result.error.empty()) result.store.emplace(Store(std::move(db), std::move(path)));
  return result;
}

void Store::record(const core::ZoneEvent& event) {
  sqlite3* db = db_.get();
  const std::int64_t at = to_ms(event.at);
  Transaction tx(db, path_);
  switch (event.kind) {
    case core::EventKind::session_started: {
      // A session of this zone still open was never ended: it is interrupted, not resumed.
      close_running(db, path_, &event.zone, run_on_);
      Statement(db, path_,
                "INSERT INTO sessions(zone, routine, started_at, last_seen_at) VALUES (?, ?, ?, ?)")
          .bind(1, event.zone)
          .bind(2, event.routine)
          .bind(3, at)
          .bind(4, at)
          .run();
      break;
    }
    case core::EventKind::phase_started: {
      auto session = running_session(db, path_, event.zone);
      if (!session) return;  // no session to attach it to
      Statement(db, path_,
                "INSERT INTO phases(session_id, phase_index, kind, started_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(session_id, phase_index) DO NOTHING")
          .bind(1, *session)
          .bind(2, std::int64_t{event.phase_index})
          .bind(3, core::to_string(event.phase_kind))
          .bind(4, at)
          .run();
      touch(db, path_, *session, at);
      break;
    }
    case core::EventKind::phase_ended: {
      auto session = running_session(db, path_, event.zone);
      if (!session) return;
      // Inserted too if its phase_started never arrived.
      Statement(db, path_,
                "INSERT INTO phases(session_id, phase_index, kind, started_at, ended_at, on_ms) "
                "VALUES (?1, ?2, ?3, ?4, ?4, ?5) "
                "ON CONFLICT(session_id, phase_index) DO UPDATE SET "
                "ended_at = excluded.ended_at, on_ms = excluded.on_ms")
          .bind(1, *session)
          .bind(2, std::int64_t{event.phase_index})
          .bind(3, core::to_string(event.phase_kind))
          .bind(4, at)
          .bind(5, std::int64_t{event.on_time.count()})
          .run();
      touch(db, path_, *session, at);
      break;
    }
    case core::EventKind::session_ended: {
      auto session = running_session(db, path_, event.zone);
      if (!session) return;
      touch(db, path_, *session, at);
      // A phase left open (no phase_ended) counts as ON until now, capped.
      Statement(db, path_,
                "UPDATE phases AS p SET "
                "on_ms = CASE WHEN p.kind = 'rest' THEN p.on_ms ELSE " +
                    std::string(kPhaseOnMs) +
                    " END, "
                    "ended_at = max(s.last_seen_at, p.started_at) "
                    "FROM sessions AS s "
                    "WHERE s.id = p.session_id AND p.ended_at IS NULL AND s.id = ?2")
          .bind(1, kOpenPhaseCap.count())
          .bind(2, *session)
          .run();
      std::string outcome =
          event.outcome ? std::string(core::to_string(*event.outcome)) : std::string("unknown");
      Statement(db, path_, "UPDATE sessions SET ended_at = ?, outcome = ? WHERE id = ?")
          .bind(1, at)
          .bind(2, outcome)
          .bind(3, *session)
          .run();
      break;
    }
    case core::EventKind::session_interrupted:
      return;  // reported from the database itself: nothing new to keep
    default: {
      // paused, resumed, fault...: the session was alive then.
      auto session = running_session(db, path_, event.zone);
      if (!session) return;
      touch(db, path_, *session, at);
      break;
    }
  }
  tx.commit();
}

void Store::heartbeat(WallTime now) {
  Transaction tx(db_.get(), path_);
  Statement(db_.get(), path_,
            "UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE ended_at IS NULL")
      .bind(1, to_ms(now))
      .run();
  save_time(kAliveAt, now);
  tx.commit();
}

void Store::save_safety(const core::ZoneSafety& record, std::string_view clock_id) {
  save_safety(std::vector<core::ZoneSafety>{record}, clock_id);
}

void Store::save_safety(const std::vector<core::ZoneSafety>& records, std::string_view clock_id) {
  if (records.empty()) return;
  sqlite3* db = db_.get();
  Transaction tx(db, path_);
  for (const core::ZoneSafety& r : records)
    save_one(r, clock_id);
  tx.commit();
}

void Store::save_one(const core::ZoneSafety& next, std::string_view next_clock) {
  sqlite3* db = db_.get();
  std::vector<Kept> kept = kept_records(next.zone);
  core::ZoneSafety r = next;
  std::string_view clock_id = next_clock;
  if (!kept.empty()) {
    const bool same_clock = !next_clock.empty() && kept.front().clock_id == next_clock;
    r = core::merge_records(kept.front().record, next, same_clock);
    // The stored record kept: its monotonic times are still those of its own clock.
    if (r.at != next.at || r.at_mono != next.at_mono) clock_id = kept.front().clock_id;
  }
  auto optional_ms = [](Statement& q, int index, auto value, auto to_int) {
    if (value) q.bind(index, to_int(*value));
  };
  {
    Statement q(db, path_,
                "INSERT INTO zone_safety(zone, recorded_at, recorded_mono, clock_id, fault, "
                "fault_message, rest_from, rest_from_mono, exposure_day, exposure_ms, session, "
                "clock_doubt_ms, doubt_clock_id) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                "ON CONFLICT(zone) DO UPDATE SET recorded_at = excluded.recorded_at, "
                "recorded_mono = excluded.recorded_mono, clock_id = excluded.clock_id, "
                "fault = excluded.fault, fault_message = excluded.fault_message, "
                "rest_from = excluded.rest_from, rest_from_mono = excluded.rest_from_mono, "
                "exposure_day = excluded.exposure_day, exposure_ms = excluded.exposure_ms, "
                "session = excluded.session, clock_doubt_ms = excluded.clock_doubt_ms, "
                "doubt_clock_id = excluded.doubt_clock_id");
    q.bind(1, r.zone)
        .bind(2, to_ms(r.at))
        .bind(3, std::int64_t{r.at_mono.time_since_epoch().count()})
        .bind(4, clock_id)
        .bind(5, core::reason_code(r.fault))
        .bind(6, r.fault_message);
    optional_ms(q, 7, r.rest_from, to_ms);
    optional_ms(q, 8, r.rest_from_mono,
                [](core::MonoTime t) { return std::int64_t{t.time_since_epoch().count()}; });
    q.bind(9, std::int64_t{r.day})
        .bind(10, std::int64_t{r.exposure.count()})
        .bind(11, std::int64_t{r.session ? 1 : 0});
    // The doubt is always the newest record's, on its own clock.
    if (r.clock_doubt) q.bind(12, std::int64_t{r.clock_doubt->count()}).bind(13, next_clock);
    q.run();
  }
  Statement(db, path_, "DELETE FROM zone_maybe_on WHERE zone = ?").bind(1, r.zone).run();
  Statement on(db, path_,
               "INSERT INTO zone_maybe_on(zone, device, commanded_on, until) VALUES (?, ?, ?, ?)");
  for (const auto& m : r.maybe_on) {
    on.bind(1, r.zone).bind(2, m.device).bind(3, std::int64_t{m.commanded_on ? 1 : 0});
    optional_ms(on, 4, m.until, to_ms);
    on.run();
    on.reset();
  }
  // The new record's own count too, when the kept one is an earlier life's.
  Statement exposure(db, path_,
                     "INSERT INTO zone_exposure(zone, day, exposure_ms) VALUES (?, ?, ?) "
                     "ON CONFLICT(zone, day) DO UPDATE SET "
                     "exposure_ms = max(exposure_ms, excluded.exposure_ms)");
  for (const core::ZoneSafety* counted : {&std::as_const(r), &next}) {
    exposure.bind(1, r.zone)
        .bind(2, std::int64_t{counted->day})
        .bind(3, std::int64_t{counted->exposure.count()})
        .run();
    exposure.reset();
  }
}

std::vector<Store::Kept> Store::kept_records(std::string_view zone) const {
  sqlite3* db = db_.get();
  Statement records(db, path_,
                    "SELECT zone, recorded_at, recorded_mono, clock_id, fault, fault_message, "
                    "rest_from, rest_from_mono, exposure_day, exposure_ms, session, "
                    "clock_doubt_ms, doubt_clock_id "
                    "FROM zone_safety WHERE ?1 = '' OR zone = ?1 ORDER BY zone");
  records.bind(1, zone);
  Statement maybe_on(db, path_,
                     "SELECT device, commanded_on, until FROM zone_maybe_on WHERE zone = ? "
                     "ORDER BY device");
  std::vector<Kept> out;
  while (records.step()) {
    Kept k;
    core::ZoneSafety& r = k.record;
    r.zone = records.text(0);
    r.at = from_ms(records.int64(1));
    r.at_mono = core::MonoTime{Duration{records.int64(2)}};
    k.clock_id = records.text(3);
    r.fault = core::reason_from_code(records.text(4)).value_or(core::Reason::ok);
    r.fault_message = records.text(5);
    if (!records.is_null(6)) r.rest_from = from_ms(records.int64(6));
    if (!records.is_null(7)) r.rest_from_mono = core::MonoTime{Duration{records.int64(7)}};
    r.day = records.int64(8);
    r.exposure = Duration{records.int64(9)};
    r.session = records.int64(10) != 0;
    if (!records.is_null(11)) {
      r.clock_doubt = Duration{records.int64(11)};
      k.doubt_clock_id = records.text(12);
    }
    maybe_on.reset();
    maybe_on.bind(1, r.zone);
    while (maybe_on.step()) {
      core::ZoneSafety::MaybeOn on{maybe_on.text(0), maybe_on.int64(1) != 0, std::nullopt};
      if (!maybe_on.is_null(2)) on.until = from_ms(maybe_on.int64(2));
      r.maybe_on.push_back(std::move(on));
    }
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<core::ZoneHistory> Store::load_history(WallTime now,
                                                   std::chrono::minutes utc_offset) const {
  return load_history(core::Now{{}, now, utc_offset});
}

std::vector<core::ZoneHistory> Store::load_history(const core::Now& now,
                                                   const LoadOptions& options) const {
  sqlite3* db = db_.get();
  auto offset_at = [&](WallTime t) {
    return options.utc_offset_at ? options.utc_offset_at(t) : now.utc_offset;
  };
  const core::LocalDay today = core::local_day(now.wall, now.utc_offset);
  auto entry = [&](std::map<std::string, core::ZoneHistory>& zones, const std::string& zone) {
    core::ZoneHistory& h = zones[zone];
    h.zone = zone;
    h.day = today;
    return &h;
  };

  Transaction tx(db, path_, "BEGIN");
  std::map<std::string, core::ZoneHistory> zones;
  Statement sessions(
      db, path_,
      "SELECT zone, max(coalesce(ended_at, last_seen_at + ?1)), max(ended_at IS NULL) "
      "FROM sessions GROUP BY zone ORDER BY zone");
  sessions.bind(1, std::int64_t{run_on_.count()});
  while (sessions.step()) {
    core::ZoneHistory* h = entry(zones, sessions.text(0));
    h->last_session_end = from_ms(sessions.int64(1));
    h->session_interrupted = sessions.int64(2) != 0;
  }
  // The sessions that started on local day `today`, each judged by the UTC offset at its own
  // start: on the day DST ends, the first local hour has another offset than the last.
  Statement exposure(db, path_,
                     std::string("SELECT s.started_at, coalesce(sum(") + kPhaseOnMs +
                         "), 0) FROM sessions AS s JOIN phases AS p ON p.session_id = s.id "
                         "WHERE s.zone = ?2 AND s.started_at >= ?3 AND s.started_at < ?4 "
                         "AND p.kind != 'rest' GROUP BY s.id");
  for (auto& [zone, h] : zones) {
    exposure.reset();
    // Local midnight is within 14 h of UTC midnight: two days either side cover it.
    exposure.bind(1, kOpenPhaseCap.count())
        .bind(2, zone)
        .bind(3, (today - 2) * kDayMs)
        .bind(4, (today + 3) * kDayMs);
    while (exposure.step()) {
      WallTime started = from_ms(exposure.int64(0));
      if (core::local_day(started, offset_at(started)) == today)
        h.exposure += Duration{exposure.int64(1)};
    }
  }

  // The engine's own record: faults, the last moment ON, pads that may be ON, exposure.
  const std::optional<WallTime> alive = saved_time(kAliveAt);
  Statement counted(db, path_, "SELECT exposure_ms FROM zone_exposure WHERE zone = ? AND day = ?");
  for (const Kept& k : kept_records()) {
    const core::ZoneSafety& r = k.record;
    const bool same_clock = !options.clock_id.empty() && k.clock_id == options.clock_id;
    const bool doubt_same_clock = !options.clock_id.empty() && k.doubt_clock_id == options.clock_id;
    const WallTime alive_at = alive && *alive > r.at ? *alive : r.at;
    core::ZoneHistory from =
        core::history_from(r, {alive_at, run_on_, same_clock, doubt_same_clock}, now);
    core::ZoneHistory* h = entry(zones, r.zone);
    if (from.last_session_end &&
        (!h->last_session_end || *from.last_session_end > *h->last_session_end)) {
      h->last_session_end = from.last_session_end;
    }
    h->last_session_end_mono = from.last_session_end_mono;
    h->maybe_on = std::move(from.maybe_on);
    h->recorded_at = from.recorded_at;
    h->clock_doubt = from.clock_doubt;
    if (core::is_fault_reason(from.fault)) {
      h->fault = from.fault;
      h->fault_message = from.fault_message;
    }
    if (from.day == today) h->exposure = std::max(h->exposure, from.exposure);
    counted.reset();
    counted.bind(1, r.zone).bind(2, std::int64_t{today});
    if (counted.step()) h->exposure = std::max(h->exposure, Duration{counted.int64(0)});
  }
  tx.commit();
  std::vector<core::ZoneHistory> out;
  out.reserve(zones.size() + 1);
  for (auto& [zone, h] : zones)
    out.push_back(std::move(h));
  if (alive) {
    core::ZoneHistory daemon;  // the daemon's own last sign of life
    daemon.recorded_at = alive;
    out.push_back(std::move(daemon));
  }
  return out;
}

int Store::mark_interrupted() {
  Transaction tx(db_.get(), path_);
  int closed = close_running(db_.get(), path_, nullptr, run_on_);
  tx.commit();
  return closed;
}

std::vector<SessionRecord> Store::recent_sessions(int limit, std::string_view zone) const {
  sqlite3* db = db_.get();
  Transaction tx(db, path_, "BEGIN");
  std::vector<SessionRecord> out;
  {
    Statement q(db, path_,
                "SELECT id, zone, routine, started_at, ended_at, outcome, last_seen_at "
                "FROM sessions WHERE ?1 = '' OR zone = ?1 "
                "ORDER BY started_at DESC, id DESC LIMIT ?2");
    q.bind(1, zone);
    q.bind(2, std::int64_t{limit});
    while (q.step()) {
      SessionRecord r;
      r.id = q.int64(0);
      r.zone = q.text(1);
      r.routine = q.text(2);
      r.started_at = from_ms(q.int64(3));
      if (!q.is_null(4)) r.ended_at = from_ms(q.int64(4));
      r.outcome = q.text(5);
      r.last_seen_at = from_ms(q.int64(6));
      out.push_back(std::move(r));
    }
  }
  for (SessionRecord& r : out) {
    Statement q(db, path_,
                "SELECT phase_index, kind, started_at, ended_at, on_ms FROM phases "
                "WHERE session_id = ? ORDER BY phase_index");
    q.bind(1, r.id);
    const WallTime session_end = r.ended_at.value_or(r.last_seen_at);
    while (q.step()) {
      PhaseRecord p;
      p.index = static_cast<int>(q.int64(0));
      p.kind = parse_kind(q.text(1));
      p.started_at = from_ms(q.int64(2));
      if (!q.is_null(3)) p.ended_at = from_ms(q.int64(3));
      p.on_time = Duration{q.int64(4)};
      if (p.kind != core::PhaseKind::rest) {
        Duration on = p.on_time;
        if (!p.ended_at) {
          on =
              std::max(on, std::clamp(session_end - p.started_at, Duration::zero(), kOpenPhaseCap));
        }
        r.exposure += on;
      }
      r.phases.push_back(p);
    }
  }
  tx.commit();
  return out;
}

std::optional<WallTime> Store::saved_time(std::string_view key) const {
  Statement q(db_.get(), path_, "SELECT value FROM daemon_state WHERE key = ?");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return from_ms(q.int64(0));
}

void Store::save_time(std::string_view key, WallTime t) {
  Statement(db_.get(), path_,
            "INSERT INTO daemon_state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, key)
      .bind(2, to_ms(t))
      .run();
}

std::optional<WallTime> Store::schedules_checked_until() const {
  return saved_time(kSchedulesCheckedUntil);
}

void Store::set_schedules_checked_until(WallTime t) {
  save_time(kSchedulesCheckedUntil, t);
}

std::optional<WallTime> Store::time_scale_origin() const {
  return saved_time(kTimeScaleOrigin);
}

void Store::set_time_scale_origin(WallTime t) {
  save_time(kTimeScaleOrigin, t);
}

Store::Discovered Store::discovery_published() const {
  Discovered out;
  Statement q(db_.get(), path_, "SELECT topic, component, platform FROM ha_discovery");
  while (q.step())
    out[q.text(0)][q.text(1)] = q.text(2);
  return out;
}

void Store::set_discovery_published(const Discovered& published) {
  Transaction tx(db_.get(), path_);
  Statement(db_.get(), path_, "DELETE FROM ha_discovery").run();
  Statement insert(db_.get(), path_,
                   "INSERT INTO ha_discovery(topic, component, platform) VALUES (?, ?, ?)");
  for (const auto& [topic, components] : published) {
    for (const auto& [component, platform] : components) {
      insert.bind(1, topic).bind(2, component).bind(3, platform).run();
      insert.reset();
    }
  }
  tx.commit();
}

}  // namespace padtimer::store
