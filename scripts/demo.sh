#!/usr/bin/env bash
# The demo: sets everything up, then runs a private mosquitto on a free loopback port,
# padtimer-sim playing a heat pad (Tasmota plug) and a cold pack (Shelly Plus plug), and
# padtimerd with config/padtimer.demo.yaml at --time-scale 15, so the routine heat 15 min ->
# rest 5 min -> cold 10 min plays in two minutes. It starts the routine the way a phone does
# (padtimerctl start) and shows it live with padtimerctl watch until the session ends.
# The same mosquitto serves the phone web panel (web/, built when node and npm are there) on
# a websockets listener: open the printed URL to watch and press the buttons. Run from a
# terminal, the demo keeps running at the end until Ctrl-C, so you can go on playing.
#
#   scripts/demo.sh              the demo
#   DEMO_SCALE=30 scripts/demo.sh  faster (1-1000)
#   DEMO_LISTEN=0.0.0.0 scripts/demo.sh  the panel reachable from a phone on your network
#                                 (or DEMO_LISTEN=wlan0: that interface only)
#
# Everything lives in build/demo/ (logs, the state database) and is stopped on exit,
# Ctrl-C included. Nothing touches port 1883 or any system service.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${DEMO_SCALE:-15}
# Where the panel's websockets listener listens. mosquitto binds websockets listeners to an
# interface, not an address (2.0.11 would listen everywhere for "127.0.0.1"): "lo" for loopback.
case ${DEMO_LISTEN:-127.0.0.1} in
  127.0.0.1 | lo) WS_BIND=" lo" ;;
  0.0.0.0) WS_BIND="" ;;
  *) WS_BIND=" $DEMO_LISTEN" ;;
esac

scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)" --target padtimerd padtimer-sim padtimerctl
# The web panel: its target exists when configure found node and npm (web/CMakeLists.txt);
# the demo goes on without it if it cannot be built (npm ci needs the npm registry).
PANEL=""
if grep -q '^PADTIMER_WEB_PANEL:INTERNAL=ON' build/CMakeCache.txt; then
  if cmake --build build --target web; then
    PANEL=$ROOT/build/web/panel
  else
    echo "demo: the web panel did not build; the demo goes on without it" >&2
  fi
fi

RUN=$ROOT/build/demo
rm -rf "$RUN"
mkdir -p "$RUN/state"
PIDS=()
cleanup() {
  # padtimerd first (it switches the pads off), then the devices, then the broker.
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

wait_for() {  # wait_for FILE TEXT SECONDS: until FILE contains TEXT
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: timed out waiting for '$2' in $1:" >&2
  tail -n 20 "$1" >&2 || true
  return 1
}

# mosquitto cannot pick a port itself (port 0 means a unix socket): try random free ones.
say "private mosquitto on 127.0.0.1"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
PORT=""
for attempt in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 40000))
  ws_candidate=$((20000 + RANDOM % 40000))
  [ "$ws_candidate" != "$candidate" ] || continue
  {
    echo "listener $candidate 127.0.0.1"
    if [ -n "$PANEL" ]; then  # MQTT over WebSockets for the panel, which it also serves
      echo "listener $ws_candidate$WS_BIND"
      echo "protocol websockets"
      echo "http_dir $PANEL"
    fi
    echo "allow_anonymous true"
    echo "set_tcp_nodelay true"
    echo "persistence false"
    echo "log_dest stderr"
    [ "$(id -u)" = 0 ] && echo "user root"
  } >"$RUN/mosquitto.conf"
  "$MOSQUITTO" -c "$RUN/mosquitto.conf" 2>"$RUN/mosquitto.log" &
  pid=$!
  # "running" comes only once every listener is open; a taken port ends it with an error.
  if wait_for "$RUN/mosquitto.log" " running" 5 2>/dev/null && kill -0 "$pid" 2>/dev/null; then
    PIDS+=("$pid")
    PORT=$candidate
    WS_PORT=$ws_candidate
    break
  fi
  kill "$pid" 2>/dev/null || true
done
[ -n "$PORT" ] || { echo "demo: could not start mosquitto on a loopback port" >&2; exit 1; }
BROKER=mqtt://127.0.0.1:$PORT
echo "broker $BROKER (log: $RUN/mosquitto.log)"

say "the phone web panel"
if [ -n "$PANEL" ]; then
  PANEL_URL=http://127.0.0.1:$WS_PORT/
  echo "Open $PANEL_URL in a browser to watch the demo and press its buttons."
  if [ "$WS_BIND" != " lo" ]; then
    for address in $(hostname -I 2>/dev/null); do
      case $address in *:*) ;; *) echo "From a phone on your network: http://$address:$WS_PORT/" ;; esac
    done
    echo "The demo broker has no password: anyone who can reach port $WS_PORT can start and"
    echo "stop the simulated pads while the demo runs."
  else
    echo "(DEMO_LISTEN=0.0.0.0 scripts/demo.sh makes it reachable from a phone on your network.)"
  fi
else
  echo "not built: the panel needs node and npm (scripts/install-deps.sh installs them)"
fi

say "padtimer-sim: a heat pad and a cold pack"
build/bin/padtimer-sim --broker "$BROKER" --telemetry-period 1s \
  --device tasmota:heat_pad,topic=demo_heat_pad \
  --device shelly_rpc:cold_pack,id=shellyplus1-demo-cold,role=cold >"$RUN/sim.log" 2>&1 &
PIDS=("$!" "${PIDS[@]}")
wait_for "$RUN/sim.log" "padtimer-sim: connected" 10
cat "$RUN/sim.log"

say "padtimerd at --time-scale $SCALE"
sed "s|mqtt://127.0.0.1:1884|$BROKER|" config/padtimer.demo.yaml >"$RUN/padtimer.yaml"
build/bin/padtimerd --config "$RUN/padtimer.yaml" --state-dir "$RUN/state" \
  --time-scale "$SCALE" >"$RUN/padtimerd.log" 2>&1 &
PIDS=("$!" "${PIDS[@]}")
wait_for "$RUN/padtimerd.log" "mqtt: connected" 10
cat "$RUN/padtimerd.log"

CTL=(build/bin/padtimerctl --broker "$BROKER")
# Right after start-up each device must confirm OFF first (state "ready": true).
for attempt in $(seq 1 50); do
  "${CTL[@]}" status lower_back 2>/dev/null | grep -q "ready *yes" && break
  sleep 0.1
done

say "the phone's view: padtimerctl status"
"${CTL[@]}" status

say "start the routine like a phone: padtimerctl start lower_back demo"
"${CTL[@]}" start lower_back demo

say "padtimerctl watch (stops by itself when the session ends)"
# The end of the session, as a phone's notification would see it.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t padtimer/lower_back/event -v >"$RUN/events.log" &
EVENTS=$!
PIDS=("$EVENTS" "${PIDS[@]}")
"${CTL[@]}" watch &
WATCH=$!
PIDS=("$WATCH" "${PIDS[@]}")
wait_for "$RUN/events.log" '"event":"session_ended"' $((3600 / SCALE + 60)) || true
kill -INT "$WATCH" 2>/dev/null || true
wait "$WATCH" 2>/dev/null || true

say "a second start is refused: the rest interval holds"
"${CTL[@]}" start lower_back demo || echo "(padtimerctl exited with status $?)"

say "history, from padtimerd's database (retained on padtimer/lower_back/history)"
"${CTL[@]}" history lower_back

say "what the simulated devices did"
grep -E "relay (ON|OFF)|auto-off fired" "$RUN/sim.log" || true

if [ -n "$PANEL" ] && [ -t 0 ]; then
  say "still running for you to play with"
  echo "panel at $PANEL_URL — Ctrl-C to stop"
  echo "(a new start is refused until the rest interval has passed: 1 h of demo time, $((3600 / SCALE)) s)"
  wait "${PIDS[-1]}" || true  # the broker: until Ctrl-C
fi

say "done"
echo "Logs and the state database are in $RUN. Everything started here is stopped now."
