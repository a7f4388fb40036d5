#include "store/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

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

constexpr std::string_view kSchedulesCheckedUntil = "schedules_checked_until";  // ms, UTC
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
  tx.commit();
}

std::vector<core::ZoneHistory> Store::load_history(WallTime now,
                                                   std::chrono::minutes utc_offset) const {
  sqlite3* db = db_.get();
  const core::LocalDay today = core::local_day(now, utc_offset);
  const std::int64_t day_start =
      today * kDayMs - std::chrono::duration_cast<Duration>(utc_offset).count();

  Transaction tx(db, path_, "BEGIN");
  std::vector<core::ZoneHistory> out;
  Statement zones(db, path_,
                  "SELECT zone, max(coalesce(ended_at, last_seen_at + ?1)), max(ended_at IS NULL) "
                  "FROM sessions GROUP BY zone ORDER BY zone");
  zones.bind(1, std::int64_t{run_on_.count()});
  while (zones.step()) {
    core::ZoneHistory h;
    h.zone = zones.text(0);
    h.last_session_end = from_ms(zones.int64(1));
    h.session_interrupted = zones.int64(2) != 0;
    h.day = today;
    out.push_back(std::move(h));
  }
  Statement exposure(db, path_,
                     std::string("SELECT coalesce(sum(") + kPhaseOnMs +
                         "), 0) FROM sessions AS s JOIN phases AS p ON p.session_id = s.id "
                         "WHERE s.zone = ?2 AND s.started_at >= ?3 AND s.started_at < ?4 "
                         "AND p.kind != 'rest'");
  for (core::ZoneHistory& h : out) {
    exposure.reset();
    exposure.bind(1, kOpenPhaseCap.count())
        .bind(2, h.zone)
        .bind(3, day_start)
        .bind(4, day_start + kDayMs);
    if (exposure.step()) h.exposure = Duration{exposure.int64(0)};
  }
  tx.commit();
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
