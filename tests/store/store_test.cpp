#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace padtimer::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using core::Duration;
using core::EventKind;
using core::PhaseKind;
using core::SessionOutcome;
using core::WallTime;
using core::ZoneEvent;

// A fresh directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "padtimer-store-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

WallTime utc(int y, unsigned m, unsigned d, int h, int min, int s = 0) {
  using namespace std::chrono;
  return WallTime{sys_days{year{y} / month{m} / day{d}}} + hours{h} + minutes{min} + seconds{s};
}

ZoneEvent event(const std::string& zone, EventKind kind, WallTime at, int phase = -1,
                PhaseKind phase_kind = PhaseKind::rest, Duration on = {},
                std::optional<SessionOutcome> outcome = std::nullopt) {
  ZoneEvent e;
  e.zone = zone;
  e.kind = kind;
  e.at = at;
  e.routine = "evening";
  e.phase_index = phase;
  e.phase_kind = phase_kind;
  e.on_time = on;
  e.outcome = outcome;
  return e;
}

// Records heat `heat` → rest 5 min → cold `cold`, completed, from `start`. Returns its end.
WallTime record_session(Store& store, const std::string& zone, WallTime start, Duration heat,
                        Duration cold) {
  WallTime t = start;
  store.record(event(zone, EventKind::session_started, t));
  store.record(event(zone, EventKind::phase_started, t, 0, PhaseKind::heat));
  t += heat;
  store.record(event(zone, EventKind::phase_ended, t, 0, PhaseKind::heat, heat));
  store.record(event(zone, EventKind::phase_started, t, 1, PhaseKind::rest));
  t += 5min;
  store.record(event(zone, EventKind::phase_ended, t, 1, PhaseKind::rest));
  store.record(event(zone, EventKind::phase_started, t, 2, PhaseKind::cold));
  t += cold;
  store.record(event(zone, EventKind::phase_ended, t, 2, PhaseKind::cold, cold));
  store.record(
      event(zone, EventKind::session_ended, t, 2, PhaseKind::cold, {}, SessionOutcome::completed));
  return t;
}

Store open_ok(const fs::path& dir) {
  OpenResult r = Store::open(dir);
  if (!r) throw std::runtime_error("open failed: " + r.error);
  return std::move(*r.store);
}

const core::ZoneHistory* find(const std::vector<core::ZoneHistory>& h, const std::string& zone) {
  for (const auto& z : h)
    if (z.zone == zone) return &z;
  return nullptr;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void sql(const fs::path& db_path, const char* statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, statement, nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// ---- Sessions ---------------------------------------------------------------------------

TEST(Store, RecordsAFullSessionAndLoadsItBack) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  WallTime end = record_session(store, "lower_back", start, 20min, 10min);

  auto history = store.load_history(end + 1h, 0min);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].zone, "lower_back");
  ASSERT_TRUE(history[0].last_session_end);
  EXPECT_EQ(*history[0].last_session_end, end);
  EXPECT_EQ(history[0].exposure, 30min);
  EXPECT_EQ(history[0].day, core::local_day(end + 1h, 0min));
  EXPECT_FALSE(history[0].session_interrupted);

  auto sessions = store.recent_sessions(10);
  ASSERT_EQ(sessions.size(), 1u);
  const SessionRecord& s = sessions[0];
  EXPECT_EQ(s.zone, "lower_back");
  EXPECT_EQ(s.routine, "evening");
  EXPECT_EQ(s.started_at, start);
  ASSERT_TRUE(s.ended_at);
  EXPECT_EQ(*s.ended_at, end);
  EXPECT_EQ(s.outcome, "completed");
  EXPECT_EQ(s.exposure, 30min);
  ASSERT_EQ(s.phases.size(), 3u);
  EXPECT_EQ(s.phases[0].kind, PhaseKind::heat);
  EXPECT_EQ(s.phases[0].on_time, 20min);
  EXPECT_EQ(s.phases[0].started_at, start);
  ASSERT_TRUE(s.phases[0].ended_at);
  EXPECT_EQ(*s.phases[0].ended_at, start + 20min);
  EXPECT_EQ(s.phases[1].kind, PhaseKind::rest);
  EXPECT_EQ(s.phases[1].on_time, 0min);
  EXPECT_EQ(s.phases[2].kind, PhaseKind::cold);
  EXPECT_EQ(s.phases[2].index, 2);
  EXPECT_EQ(s.phases[2].on_time, 10min);
  EXPECT_EQ(store.mark_interrupted(), 0);
}

TEST(Store, KeepsEachOutcomeAndTheActualTimeOnOfAStoppedPhase) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  const SessionOutcome outcomes[] = {SessionOutcome::completed, SessionOutcome::stopped,
                                     SessionOutcome::emergency_stop, SessionOutcome::fault,
                                     SessionOutcome::pause_timeout};
  for (SessionOutcome o : outcomes) {
    store.record(event("knee", EventKind::session_started, t));
    store.record(event("knee", EventKind::phase_started, t, 0, PhaseKind::heat));
    store.record(event("knee", EventKind::paused, t + 1min, 0, PhaseKind::heat));
    store.record(event("knee", EventKind::phase_ended, t + 7min, 0, PhaseKind::heat, 6min));
    store.record(event("knee", EventKind::session_ended, t + 7min, 0, PhaseKind::heat, {}, o));
    t += 1h;
  }
  auto sessions = store.recent_sessions(3);
  ASSERT_EQ(sessions.size(), 3u);  // the limit, newest first
  EXPECT_EQ(sessions[0].outcome, "pause_timeout");
  EXPECT_EQ(sessions[1].outcome, "fault");
  EXPECT_EQ(sessions[2].outcome, "emergency_stop");
  EXPECT_EQ(sessions[0].exposure, 6min);
  EXPECT_EQ(store.recent_sessions(100).back().outcome, "completed");
  auto history = store.load_history(t, 0min);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].exposure, 5 * 6min);
  EXPECT_EQ(*history[0].last_session_end, t - 1h + 7min);
}

TEST(Store, KeepsZonesApart) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  WallTime back_end = record_session(store, "lower_back", start, 20min, 10min);
  WallTime knee_end = record_session(store, "knee", start + 2h, 15min, 15min);
  auto history = store.load_history(start + 5h, 0min);
  ASSERT_EQ(history.size(), 2u);
  const auto* back = find(history, "lower_back");
  const auto* knee = find(history, "knee");
  ASSERT_TRUE(back && knee);
  EXPECT_EQ(*back->last_session_end, back_end);
  EXPECT_EQ(back->exposure, 30min);
  EXPECT_EQ(*knee->last_session_end, knee_end);
  EXPECT_EQ(knee->exposure, 30min);
}

TEST(Store, RecentSessionsOfOneZoneOrOfAll) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  record_session(store, "lower_back", start, 20min, 10min);
  record_session(store, "knee", start + 2h, 15min, 15min);
  record_session(store, "lower_back", start + 4h, 15min, 10min);
  auto back = store.recent_sessions(10, "lower_back");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].started_at, start + 4h);  // newest first
  EXPECT_EQ(back[1].started_at, start);
  EXPECT_EQ(back[0].zone, "lower_back");
  EXPECT_EQ(store.recent_sessions(1, "lower_back").size(), 1u);
  EXPECT_EQ(store.recent_sessions(10, "knee").size(), 1u);
  EXPECT_TRUE(store.recent_sessions(10, "neck").empty());
  EXPECT_EQ(store.recent_sessions(10).size(), 3u);
}

TEST(Store, AnInterruptedSessionIsReportedOnceWithItsLastSignOfLifeAsItsEnd) {
  TempDir dir;
  WallTime start = utc(2026, 3, 10, 8, 0);
  {
    Store store = open_ok(dir.path());
    store.record(event("lower_back", EventKind::session_started, start));
    store.record(event("lower_back", EventKind::phase_started, start, 0, PhaseKind::heat));
    store.heartbeat(start + 30s);
    store.heartbeat(start + 5min);
    store.heartbeat(start + 4min);  // a wall clock stepping back never moves it back
    // ... and the process dies: no phase_ended, no session_ended.
  }
  Store store = open_ok(dir.path());
  WallTime now = start + 12min;
  auto history = store.load_history(now, 0min);
  ASSERT_EQ(history.size(), 2u);  // the zone, and the daemon's own last sign of life
  EXPECT_EQ(history[1].zone, "");
  EXPECT_EQ(history[1].recorded_at, start + 4min);
  EXPECT_TRUE(history[0].session_interrupted);
  ASSERT_TRUE(history[0].last_session_end);
  EXPECT_EQ(*history[0].last_session_end, start + 5min);
  EXPECT_EQ(history[0].exposure, 5min);  // heat ON from its start to the last heartbeat

  auto running = store.recent_sessions(1);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_FALSE(running[0].ended_at);
  EXPECT_EQ(running[0].outcome, "");
  EXPECT_EQ(running[0].exposure, 5min);

  EXPECT_EQ(store.mark_interrupted(), 1);
  history = store.load_history(now, 0min);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_FALSE(history[0].session_interrupted);  // reported once
  EXPECT_EQ(*history[0].last_session_end, start + 5min);
  EXPECT_EQ(history[0].exposure, 5min);

  auto sessions = store.recent_sessions(10);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].outcome, "interrupted");
  ASSERT_TRUE(sessions[0].ended_at);
  EXPECT_EQ(*sessions[0].ended_at, start + 5min);
  ASSERT_EQ(sessions[0].phases.size(), 1u);
  ASSERT_TRUE(sessions[0].phases[0].ended_at);
  EXPECT_EQ(*sessions[0].phases[0].ended_at, start + 5min);
  EXPECT_EQ(sessions[0].phases[0].on_time, 5min);
  EXPECT_EQ(store.mark_interrupted(), 0);
}

TEST(Store, AnInterruptedSessionEndsWhenItsDevicesMayLastHaveBeenOn) {
  TempDir dir;
  WallTime start = utc(2026, 3, 10, 8, 0);
  {
    Store store = open_ok(dir.path());
    store.record(event("lower_back", EventKind::session_started, start));
    store.record(event("lower_back", EventKind::phase_started, start, 0, PhaseKind::heat));
    store.heartbeat(start + 5min);
  }
  // Killed after the 5 min heartbeat: a pad may have stayed ON up to the next heartbeat
  // and then for its lease; the rest interval counts from then, the phase from what is known.
  Store store = open_ok(dir.path());
  store.set_run_on_after_death(30s + 2min);
  auto history = store.load_history(start + 1h, 0min);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(history[0].session_interrupted);
  EXPECT_EQ(*history[0].last_session_end, start + 5min + 2min + 30s);
  EXPECT_EQ(history[0].exposure, 5min);

  EXPECT_EQ(store.mark_interrupted(), 1);
  history = store.load_history(start + 1h, 0min);
  EXPECT_FALSE(history[0].session_interrupted);
  EXPECT_EQ(*history[0].last_session_end, start + 5min + 2min + 30s);  // kept after closing
  auto sessions = store.recent_sessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].outcome, "interrupted");
  EXPECT_EQ(*sessions[0].ended_at, start + 5min + 2min + 30s);
  EXPECT_EQ(*sessions[0].phases[0].ended_at, start + 5min);
}

TEST(Store, AnOpenPhaseCountsAtMostTheLongestPhase) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  store.record(event("knee", EventKind::session_started, start));
  store.record(event("knee", EventKind::phase_started, start, 0, PhaseKind::heat));
  store.record(event("knee", EventKind::phase_ended, start + 15min, 0, PhaseKind::heat, 15min));
  store.record(event("knee", EventKind::phase_started, start + 15min, 1, PhaseKind::rest));
  store.record(event("knee", EventKind::phase_ended, start + 20min, 1, PhaseKind::rest));
  store.record(event("knee", EventKind::phase_started, start + 20min, 2, PhaseKind::cold));
  // Paused for long, the process killed: the heartbeat says 50 min after the cold start.
  store.heartbeat(start + 70min);
  auto history = store.load_history(start + 2h, 0min);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].exposure, 15min + kOpenPhaseCap);
  EXPECT_EQ(kOpenPhaseCap, 20min);
  EXPECT_EQ(*history[0].last_session_end, start + 70min);
  EXPECT_EQ(store.mark_interrupted(), 1);
  EXPECT_EQ(store.load_history(start + 2h, 0min)[0].exposure, 15min + 20min);
}

TEST(Store, AnInterruptedRestPhaseAddsNoExposure) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  store.record(event("knee", EventKind::session_started, start));
  store.record(event("knee", EventKind::phase_started, start, 0, PhaseKind::heat));
  store.record(event("knee", EventKind::phase_ended, start + 15min, 0, PhaseKind::heat, 14min));
  store.record(event("knee", EventKind::phase_started, start + 15min, 1, PhaseKind::rest));
  store.heartbeat(start + 18min);
  auto history = store.load_history(start + 1h, 0min);
  EXPECT_TRUE(history[0].session_interrupted);
  EXPECT_EQ(history[0].exposure, 14min);
  EXPECT_EQ(*history[0].last_session_end, start + 18min);
}

TEST(Store, ANewSessionClosesAForgottenRunningOneAsInterrupted) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  store.record(event("knee", EventKind::session_started, start));
  store.record(event("knee", EventKind::phase_started, start, 0, PhaseKind::heat));
  store.heartbeat(start + 3min);
  record_session(store, "knee", start + 2h, 20min, 10min);
  auto sessions = store.recent_sessions(10);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].outcome, "completed");
  EXPECT_EQ(sessions[1].outcome, "interrupted");
  EXPECT_EQ(*sessions[1].ended_at, start + 3min);
  EXPECT_EQ(sessions[1].phases.at(0).on_time, 3min);
  EXPECT_EQ(store.mark_interrupted(), 0);
}

TEST(Store, AnyEventOfARunningSessionIsASignOfLife) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime start = utc(2026, 3, 10, 8, 0);
  // Phase events of a zone without a session are ignored.
  store.record(event("knee", EventKind::phase_started, start, 0, PhaseKind::heat));
  store.record(event("knee", EventKind::fault, start));
  EXPECT_TRUE(store.recent_sessions(10).empty());

  store.record(event("knee", EventKind::session_started, start));
  store.record(event("knee", EventKind::phase_started, start, 0, PhaseKind::heat));
  store.record(event("knee", EventKind::paused, start + 3min, 0, PhaseKind::heat));
  store.record(event("knee", EventKind::fault, start + 4min, 0, PhaseKind::heat));
  auto history = store.load_history(start + 1h, 0min);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].session_interrupted);
  EXPECT_EQ(*history[0].last_session_end, start + 4min);
  EXPECT_EQ(history[0].exposure, 4min);  // conservative: the pause counts as ON
}

// ---- Local days ------------------------------------------------------------------------

TEST(Store, ExposureIsPerLocalDayOfTheSessionStart) {
  TempDir dir;
  Store store = open_ok(dir.path());
  const auto offset = 120min;  // UTC+2: local = UTC + 2 h
  // Local 2026-03-10 23:30 = 21:30 UTC: heat until 23:50, rest, cold 23:55 → 00:10 local.
  WallTime late = utc(2026, 3, 10, 21, 30);
  WallTime late_end = record_session(store, "knee", late, 20min, 15min);
  EXPECT_EQ(late_end, utc(2026, 3, 10, 22, 10));  // 00:10 local on the 11th
  // Local 2026-03-11 00:40 = 22:40 UTC on the 10th: a session of the 11th.
  WallTime early = utc(2026, 3, 10, 22, 40);
  record_session(store, "knee", early, 15min, 10min);

  // Local 2026-03-10 23:59: only the first session had started.
  auto h = store.load_history(utc(2026, 3, 10, 21, 59), offset);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].day, core::local_day(utc(2026, 3, 10, 21, 59), offset));
  EXPECT_EQ(h[0].exposure, 35min);

  // Local 2026-03-11 10:00: the spanning session counts toward the 10th, not the 11th.
  WallTime next_morning = utc(2026, 3, 11, 8, 0);
  h = store.load_history(next_morning, offset);
  EXPECT_EQ(h[0].day, core::local_day(next_morning, offset));
  EXPECT_EQ(h[0].day, core::local_day(utc(2026, 3, 10, 21, 59), offset) + 1);
  EXPECT_EQ(h[0].exposure, 25min);

  // In UTC both sessions started on the 10th.
  h = store.load_history(utc(2026, 3, 10, 23, 59), 0min);
  EXPECT_EQ(h[0].exposure, 60min);
  // West of Greenwich (UTC-5), 2026-03-10 local covers 05:00 UTC on the 10th onwards.
  h = store.load_history(utc(2026, 3, 11, 4, 0), -300min);
  EXPECT_EQ(h[0].exposure, 60min);
  // A day later nothing is left.
  h = store.load_history(utc(2026, 3, 12, 12, 0), offset);
  EXPECT_EQ(h[0].exposure, 0min);
  EXPECT_EQ(*h[0].last_session_end, utc(2026, 3, 10, 23, 10));
}

// ---- Files -----------------------------------------------------------------------------

TEST(Store, ReopeningKeepsEverything) {
  TempDir dir;
  WallTime start = utc(2026, 3, 10, 8, 0);
  WallTime end;
  {
    Store store = open_ok(dir.path());
    end = record_session(store, "lower_back", start, 20min, 10min);
  }
  {
    Store store = open_ok(dir.path());
    auto sessions = store.recent_sessions(10);
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].phases.size(), 3u);
    EXPECT_EQ(*sessions[0].ended_at, end);
    record_session(store, "lower_back", start + 3h, 15min, 10min);
  }
  Store store = open_ok(dir.path());
  EXPECT_EQ(store.recent_sessions(10).size(), 2u);
  EXPECT_EQ(store.load_history(start + 6h, 0min)[0].exposure, 55min);
  EXPECT_EQ(store.path(), dir.path() / "padtimer.db");
}

TEST(Store, UsesWalAndRecordsItsSchemaVersion) {
  TempDir dir;
  Store store = open_ok(dir.path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "padtimer.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), kSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(Store, AMissingDirectoryIsAClearError) {
  TempDir dir;
  OpenResult r = Store::open(dir.path() / "nope");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("state directory " + (dir.path() / "nope").string() + " does not exist"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(fs::exists(dir.path() / "nope"));  // never created behind the user's back

  std::ofstream(dir.path() / "file") << "x";
  r = Store::open(dir.path() / "file");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("is not a directory"), std::string::npos) << r.error;
}

// Opens `dir` as a user who cannot write it: as root (which may write anywhere), in a child
// that became `nobody`; otherwise with the directory made read-only.
std::string open_error_as_non_writer(const fs::path& dir) {
  if (::geteuid() != 0) {
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    OpenResult r = Store::open(dir);
    return r ? "opened" : r.error;
  }
  fs::permissions(dir.parent_path(), fs::perms::all, fs::perm_options::add);  // traversable
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = "setuid failed";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      OpenResult r = Store::open(dir);
      out = r ? "opened" : r.error;
    }
    ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST(Store, AnUnwritableDirectoryIsAClearError) {
  TempDir dir;
  fs::path state = dir.path() / "state";
  fs::create_directory(state);
  std::string error = open_error_as_non_writer(state);
  if (error == "setuid failed") GTEST_SKIP() << "cannot become nobody to test as a non-writer";
  EXPECT_NE(error.find("state directory " + state.string() + " is not writable"), std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(state / "padtimer.db"));
}

// Writes garbage over `db` from `from` to its end.
void scribble(const fs::path& db, std::size_t from) {
  std::string bytes = read_file(db);
  ASSERT_GT(bytes.size(), from);
  for (std::size_t i = from; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;
}

void expect_corrupt_error(const fs::path& dir, std::size_t scribble_from) {
  {
    Store store = open_ok(dir);
    for (int i = 0; i < 20; ++i)
      record_session(store, "knee", utc(2026, 3, 10, 0, 0) + i * 1h, 20min, 10min);
  }
  fs::path db = dir / "padtimer.db";
  ASSERT_FALSE(fs::exists(dir / "padtimer.db-wal"));  // checkpointed at close
  scribble(db, scribble_from);
  std::string before = read_file(db);

  OpenResult r = Store::open(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error.rfind("state database " + db.string() + " is corrupt: ", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("; move it aside to start fresh \xe2\x80\x94 padtimer never resets it "
                         "silently"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(read_file(db), before);  // not reset, not repaired
  EXPECT_FALSE(Store::open(dir));    // and still refused the next time
}

TEST(Store, GarbageOverTheWholeFileIsACorruptDatabase) {
  TempDir dir;
  expect_corrupt_error(dir.path(), 0);
}

TEST(Store, GarbageAfterTheHeaderIsACorruptDatabase) {
  TempDir dir;
  expect_corrupt_error(dir.path(), 4096);
}

TEST(Store, ASchemaFromANewerVersionIsRefused) {
  TempDir dir;
  { open_ok(dir.path()); }
  sql(dir.path() / "padtimer.db", "UPDATE schema_version SET version = 99");
  OpenResult r = Store::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("schema version 99, written by a newer padtimer"), std::string::npos)
      << r.error;
}

TEST(Store, AnotherApplicationsDatabaseIsRefused) {
  TempDir dir;
  sql(dir.path() / "padtimer.db", "CREATE TABLE notes (text TEXT)");
  OpenResult r = Store::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("is not a padtimer database"), std::string::npos) << r.error;
}

// ---- The scheduler's progress ------------------------------------------------------------

TEST(Store, SchedulesCheckedUntilIsAbsentAtFirst) {
  TempDir dir;
  Store store = open_ok(dir.path());
  EXPECT_FALSE(store.schedules_checked_until());
}

TEST(Store, SchedulesCheckedUntilSurvivesReopening) {
  TempDir dir;
  const WallTime first = utc(2026, 3, 10, 7, 30, 15) + 250ms;
  const WallTime later = utc(2026, 3, 11, 7, 31);
  {
    Store store = open_ok(dir.path());
    store.set_schedules_checked_until(first);
    EXPECT_EQ(store.schedules_checked_until(), first);
  }
  {
    Store store = open_ok(dir.path());
    EXPECT_EQ(store.schedules_checked_until(), first);  // to the millisecond
    store.set_schedules_checked_until(later);
  }
  EXPECT_EQ(open_ok(dir.path()).schedules_checked_until(), later);
}

TEST(Store, TheTimeScaleOriginIsKeptApartFromTheScheduleProgress) {
  TempDir dir;
  const WallTime origin = utc(2026, 3, 10, 7, 0);
  {
    Store store = open_ok(dir.path());
    EXPECT_FALSE(store.time_scale_origin());
    store.set_time_scale_origin(origin);
    store.set_schedules_checked_until(origin + 3h);
  }
  Store store = open_ok(dir.path());
  EXPECT_EQ(store.time_scale_origin(), origin);
  EXPECT_EQ(store.schedules_checked_until(), origin + 3h);
}

// A version 1 database from before the table existed opens, and gains it.
TEST(Store, ADatabaseWithoutTheDaemonStateTableStillOpens) {
  TempDir dir;
  {
    Store store = open_ok(dir.path());
    record_session(store, "knee", utc(2026, 3, 10, 8, 0), 20min, 10min);
  }
  sql(dir.path() / "padtimer.db", "DROP TABLE daemon_state");
  Store store = open_ok(dir.path());
  EXPECT_EQ(store.recent_sessions(10).size(), 1u);
  EXPECT_FALSE(store.schedules_checked_until());
  store.set_schedules_checked_until(utc(2026, 3, 10, 9, 0));
  EXPECT_EQ(store.schedules_checked_until(), utc(2026, 3, 10, 9, 0));
}

// What Home Assistant discovery published survives a restart, replaced as a whole; a
// database from before the table existed gains it.
TEST(Store, DiscoveryPublishedIsKeptAndReplaced) {
  TempDir dir;
  const Store::Discovered first = {
      {"homeassistant/device/padtimer_bed/config", {{"phase", "sensor"}, {"stop", "button"}}},
      {"homeassistant/device/padtimer_neck/config", {{"fault", "binary_sensor"}}}};
  {
    Store store = open_ok(dir.path());
    EXPECT_TRUE(store.discovery_published().empty());
    store.set_discovery_published(first);
  }
  {
    Store store = open_ok(dir.path());
    EXPECT_EQ(store.discovery_published(), first);
    store.set_discovery_published(
        {{"homeassistant/device/padtimer_bed/config", {{"stop", "button"}}}});
    EXPECT_EQ(
        store.discovery_published(),
        (Store::Discovered{{"homeassistant/device/padtimer_bed/config", {{"stop", "button"}}}}));
    store.set_discovery_published({});
    EXPECT_TRUE(store.discovery_published().empty());
  }
  sql(dir.path() / "padtimer.db", "DROP TABLE ha_discovery");
  Store store = open_ok(dir.path());
  EXPECT_TRUE(store.discovery_published().empty());
  store.set_discovery_published(first);
  EXPECT_EQ(store.discovery_published(), first);
}

// ---- kill -9 ---------------------------------------------------------------------------

// A child writes sessions as fast as it can and reports each one after record() returned;
// it is SIGKILLed mid-way. Every reported session must be there, whole.
TEST(Store, EverySessionCommittedBeforeSigkillSurvives) {
  TempDir dir;
  std::set<std::string> committed;
  const int kill_after[] = {5, 40, 90};
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      try {
        OpenResult r = Store::open(dir.path());
        if (!r) ::_exit(2);
        Store& store = *r.store;
        WallTime t = utc(2026, 3, 10, 0, 0) + round * 24h;
        for (int i = 0;; ++i) {
          std::string zone = "zone" + std::to_string(round);
          ZoneEvent start = event(zone, EventKind::session_started, t);
          start.routine = "r" + std::to_string(round) + "-" + std::to_string(i);
          store.record(start);
          store.record(event(zone, EventKind::phase_started, t, 0, PhaseKind::heat));
          store.heartbeat(t + 1min);
          store.record(event(zone, EventKind::phase_ended, t + 2min, 0, PhaseKind::heat, 2min));
          store.record(event(zone, EventKind::phase_started, t + 2min, 1, PhaseKind::cold));
          store.record(event(zone, EventKind::phase_ended, t + 3min, 1, PhaseKind::cold, 1min));
          store.record(event(zone, EventKind::session_ended, t + 3min, 1, PhaseKind::cold, {},
                             SessionOutcome::completed));
          if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(3);
          t += 5min;
        }
      } catch (...) {
        ::_exit(4);
      }
    }
    ::close(fds[1]);
    int i = -1;
    int last = -1;
    while (last + 1 < kill_after[round] && ::read(fds[0], &i, sizeof i) == sizeof i)
      last = i;
    ASSERT_EQ(last + 1, kill_after[round]) << "the writer stopped early";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // What it reported before dying (already in the pipe) was committed too.
    while (::read(fds[0], &i, sizeof i) == sizeof i)
      last = i;
    ::close(fds[0]);
    for (int k = 0; k <= last; ++k)
      committed.insert("r" + std::to_string(round) + "-" + std::to_string(k));

    OpenResult r = Store::open(dir.path());
    ASSERT_TRUE(r) << r.error;
    auto sessions = r.store->recent_sessions(100000);
    std::set<std::string> found;
    int running = 0;
    for (const SessionRecord& s : sessions) {
      if (!s.ended_at) {
        ++running;
        continue;
      }
      if (s.outcome != "completed") continue;  // an earlier round's interrupted one
      found.insert(s.routine);
      ASSERT_EQ(s.phases.size(), 2u) << s.routine;
      EXPECT_EQ(s.phases[0].on_time, 2min);
      EXPECT_EQ(s.phases[1].on_time, 1min);
      EXPECT_EQ(s.exposure, 3min);
    }
    EXPECT_LE(running, 1);  // at most the one being written when it died
    for (const std::string& c : committed)
      EXPECT_TRUE(found.count(c)) << c << " was committed but is missing";
    EXPECT_LE(found.size(), committed.size() + 1);
    EXPECT_EQ(r.store->mark_interrupted(), running);
  }
}

// ---- The engine's safety record ------------------------------------------------------

namespace safety {

core::ZoneSafety record(const std::string& zone, WallTime at) {
  core::ZoneSafety r;
  r.zone = zone;
  r.at = at;
  r.at_mono = core::MonoTime{} + 5h;
  r.day = core::local_day(at, 0min);
  return r;
}

core::Now at(WallTime wall, core::MonoTime mono = core::MonoTime{} + 6h) {
  return core::Now{mono, wall, 0min};
}

}  // namespace safety

TEST(StoreSafety, ALatchedFaultSurvivesReopening) {
  TempDir dir;
  WallTime t = utc(2026, 3, 10, 8, 0);
  {
    Store store = open_ok(dir.path());
    core::ZoneSafety r = safety::record("lower_back", t);
    r.fault = core::Reason::heatup_failed;
    r.fault_message = "lb_heat warmed by 0.2 °C in 3 min";
    store.save_safety(r, "boot-a");
  }
  Store store = open_ok(dir.path());
  auto history = store.load_history(safety::at(t + 2h), {"boot-b", {}});
  const core::ZoneHistory* h = find(history, "lower_back");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->fault, core::Reason::heatup_failed);
  EXPECT_EQ(h->fault_message, "lb_heat warmed by 0.2 °C in 3 min");
  // Reset: the next record says ok, and nothing is latched any more.
  store.save_safety(safety::record("lower_back", t + 3h), "boot-b");
  history = store.load_history(safety::at(t + 4h), {"boot-b", {}});
  EXPECT_EQ(find(history, "lower_back")->fault, core::Reason::ok);
}

TEST(StoreSafety, TheRestCountsFromThePadsLastMomentOnAndMonotonicTimeOnlyOnTheSameClock) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  record_session(store, "lower_back", t, 20min, 10min);  // ended 8:35
  core::ZoneSafety r = safety::record("lower_back", t + 1h);
  r.rest_from = t + 1h;  // a pad confirmed OFF at 9:00
  r.rest_from_mono = core::MonoTime{} + 5h;
  store.save_safety(r, "boot-a");
  auto history =
      store.load_history(safety::at(t + 90min, core::MonoTime{} + 5h + 30min), {"boot-a", {}});
  const core::ZoneHistory* h = find(history, "lower_back");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->last_session_end, t + 1h);
  EXPECT_EQ(h->last_session_end_mono, core::MonoTime{} + 5h);
  history = store.load_history(safety::at(t + 90min), {"boot-b", {}});
  EXPECT_FALSE(find(history, "lower_back")->last_session_end_mono.has_value());
}

TEST(StoreSafety, APadCommandedOnAtACrashRanOnForALeaseAfterTheLastHeartbeat) {
  TempDir dir;
  Store store = open_ok(dir.path());
  store.set_run_on_after_death(30s + 2min + 10s);
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety r = safety::record("lower_back", t);
  r.exposure = 5min;
  r.maybe_on.push_back({"lb_heat", true, t + 2min + 10s});
  r.session = true;
  store.save_safety(r, "boot-a");
  store.heartbeat(t + 4min);  // the last sign of life; then kill -9
  auto history = store.load_history(safety::at(t + 1h), {"boot-b", {}});
  const core::ZoneHistory* h = find(history, "lower_back");
  ASSERT_NE(h, nullptr);
  // Re-armed until 8:04 at the latest, then its lease: OFF by 8:06:40.
  EXPECT_EQ(h->last_session_end, t + 4min + 2min + 40s);
  EXPECT_EQ(h->exposure, 5min + 6min + 40s);
  EXPECT_TRUE(h->maybe_on.empty());
}

TEST(StoreSafety, APadWithoutAutoOffStaysMaybeOnUntilItConfirmsOff) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety r = safety::record("shoulder", t);
  r.exposure = 20min;
  r.maybe_on.push_back({"sh_pad", false, std::nullopt});
  store.save_safety(r, "boot-a");
  auto history = store.load_history(safety::at(t + 10min), {"boot-b", {}});
  const core::ZoneHistory* h = find(history, "shoulder");
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->maybe_on.size(), 1u);
  EXPECT_EQ(h->maybe_on[0].device, "sh_pad");
  EXPECT_FALSE(h->maybe_on[0].until.has_value());
  EXPECT_EQ(h->exposure, 30min);  // it may have heated all the while padtimer was away
}

TEST(StoreSafety, ExposureIsTheLargerOfTheSessionsAndTheEnginesCount) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  record_session(store, "lower_back", t, 20min, 10min);  // 30 min commanded
  core::ZoneSafety r = safety::record("lower_back", t + 40min);
  r.exposure = 31min;  // ON a little longer than commanded: OFF confirmed late
  store.save_safety(r, "boot-a");
  r.at += 1min;
  r.exposure = 0min;  // a later record of another day never lowers this day's count
  r.day += 1;
  store.save_safety(r, "boot-a");
  auto history = store.load_history(t + 2h, 0min);
  EXPECT_EQ(find(history, "lower_back")->exposure, 31min);
}

TEST(StoreSafety, ExposureCountsTheSessionsOfTheLocalDayAcrossTheEndOfDst) {
  // Europe/Berlin, 2026-10-25: at 03:00 CEST (+2) clocks go back to 02:00 CET (+1). A
  // session at 00:30 local (22:30 UTC the day before, +2) belongs to the 25th.
  TempDir dir;
  Store store = open_ok(dir.path());
  record_session(store, "lower_back", utc(2026, 10, 24, 22, 30), 20min, 10min);
  auto berlin = [](WallTime w) { return w < utc(2026, 10, 25, 1, 0) ? 120min : 60min; };
  core::Now evening{core::MonoTime{}, utc(2026, 10, 25, 19, 0), 60min};
  auto history = store.load_history(evening, {"", berlin});
  EXPECT_EQ(find(history, "lower_back")->exposure, 30min);
}

TEST(StoreSafety, TheLatestRecordReplacesThePadsThatMayBeOn) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety r = safety::record("shoulder", t);
  r.maybe_on.push_back({"sh_pad", true, std::nullopt});
  store.save_safety(r, "boot-a");
  r.at += 1min;
  r.at_mono += 1min;
  r.maybe_on.clear();
  r.rest_from = r.at;
  store.save_safety(r, "boot-a");
  auto history = store.load_history(safety::at(t + 5min, r.at_mono + 4min), {"boot-a", {}});
  const core::ZoneHistory* h = find(history, "shoulder");
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(h->maybe_on.empty());
  EXPECT_EQ(h->last_session_end, t + 1min);
}

TEST(StoreSafety, OnTheSameClockTimesFollowTheWallClockThatMovedSinceTheRecord) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety r = safety::record("shoulder", t);
  r.rest_from = t;
  r.rest_from_mono = r.at_mono;
  r.maybe_on.push_back({"sh_pad", false, std::nullopt});  // no auto-off
  store.save_safety(r, "boot-a");
  // 10 min later by the monotonic clock, but the wall clock was set back 3 h meanwhile.
  const core::Now now{r.at_mono + 10min, t - 3h + 10min, 0min};
  auto history = store.load_history(now, {"boot-a", {}});
  const core::ZoneHistory* h = find(history, "shoulder");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->last_session_end, t - 3h);  // in the moved clock's frame
  EXPECT_EQ(h->exposure, 10min);           // the monotonic clock says how long it ran on
  EXPECT_EQ(h->recorded_at, t - 3h);       // not a clock "behind the record"
  // From another boot the wall clock is all there is: the record is ahead of it.
  history = store.load_history(now, {"boot-b", {}});
  EXPECT_EQ(find(history, "shoulder")->recorded_at, t);
  EXPECT_EQ(find(history, "shoulder")->exposure, 0min);
}

TEST(StoreSafety, ARecordMadeWhileTheClockIsInDoubtKeepsTheEarlierLifes) {
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety before = safety::record("shoulder", t);
  before.exposure = 5min;
  before.maybe_on.push_back({"sh_pad", false, std::nullopt});
  store.save_safety(before, "boot-a");
  // The next boot: the clock came up behind, ran past the record, and the pad confirmed
  // OFF. Its record must not replace the earlier one, or the run-on is lost.
  core::ZoneSafety doubtful = safety::record("shoulder", t + 2min);
  doubtful.at_mono = core::MonoTime{} + 1min;
  doubtful.clock_doubt = -3h;
  doubtful.rest_from = t + 2min;
  store.save_safety(doubtful, "boot-b");
  // padtimerd restarts on the same boot: the doubt and the earlier life's pad come back.
  auto history = store.load_history(safety::at(t + 3min, core::MonoTime{} + 2min), {"boot-b", {}});
  const core::ZoneHistory* h = find(history, "shoulder");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->clock_doubt, -3h);
  ASSERT_EQ(h->maybe_on.size(), 1u);
  EXPECT_EQ(h->last_session_end, t + 2min);
  // Another boot knows nothing of that clock's doubt.
  history = store.load_history(safety::at(t + 3min), {"boot-c", {}});
  EXPECT_FALSE(find(history, "shoulder")->clock_doubt.has_value());
  // NTP set the clock: 4 h later really. The next record replaces the earlier life's, and
  // until then the run-on counts to now.
  history = store.load_history(safety::at(t + 4h, core::MonoTime{} + 4h), {"boot-b", {}});
  EXPECT_EQ(find(history, "shoulder")->exposure, 5min + 4h);
  // Read after midnight, only the part of the run-on on the new day counts for it.
  history = store.load_history(safety::at(t + 18h, core::MonoTime{} + 18h), {"boot-b", {}});
  EXPECT_EQ(find(history, "shoulder")->exposure, 2h);
  core::ZoneSafety set = safety::record("shoulder", t + 4h);
  set.at_mono = core::MonoTime{} + 4h;
  store.save_safety(set, "boot-b");
  history =
      store.load_history(safety::at(t + 4h + 1min, core::MonoTime{} + 4h + 1min), {"boot-b", {}});
  EXPECT_TRUE(find(history, "shoulder")->maybe_on.empty());
  EXPECT_FALSE(find(history, "shoulder")->clock_doubt.has_value());
}

TEST(StoreSafety, ARestDatedByAClockInDoubtOnAnotherBootCountsFromNow) {
  // The pads went OFF at "8:00" by a clock that had come up behind and was never set; the
  // machine then died. On the next boot that time may be behind by any amount: the rest
  // counts from the last sign of life taken as now, even with no pad left maybe ON.
  TempDir dir;
  Store store = open_ok(dir.path());
  WallTime t = utc(2026, 3, 10, 8, 0);
  core::ZoneSafety r = safety::record("shoulder", t);
  r.rest_from = t;
  r.clock_doubt = -2h;
  store.save_safety(r, "boot-a");
  auto history = store.load_history(safety::at(t + 3h), {"boot-b", {}});
  EXPECT_EQ(find(history, "shoulder")->last_session_end, t + 3h);
}

}  // namespace
}  // namespace padtimer::store
