// padtimer web panel: the pure part (no DOM, no MQTT, no clock of its own), shared by the page
// (as the global PadtimerLogic) and by the unit tests in node (tests/logic.test.mjs).
//
// A classic script, not an ES module: mosquitto's http_dir serves files without a
// Content-Type header, and browsers refuse module scripts without a JavaScript MIME type.
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.PadtimerLogic = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const ACTIVE = new Set(['heat', 'cold', 'rest']);

  // 95 -> "01:35", 3725 -> "1:02:05"; negative or missing counts as 0.
  function formatClock(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    const two = (n) => String(n).padStart(2, '0');
    return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
  }

  // A duration for people: "45 s", "12 min", "2 h", "1 h 5 min".
  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return `${s} s`;
    const totalMin = Math.floor(s / 60);
    const h = Math.floor(totalMin / 60);
    const m = totalMin % 60;
    if (h === 0) return `${m} min`;
    return m === 0 ? `${h} h` : `${h} h ${m} min`;
  }

  // "heat 15 · rest 5 · cold 10 min" for a routine from <base>/info.
  function routineSummary(routine) {
    const phases = (routine && Array.isArray(routine.phases)) ? routine.phases : [];
    if (phases.length === 0) return '';
    const parts = phases.map((p) => {
      const s = Number(p.duration_s) || 0;
      const n = s % 60 === 0 ? String(s / 60) : (s / 60).toFixed(1);
      return `${p.kind} ${n}`;
    });
    return `${parts.join(' · ')} min`;
  }

  // The planned length of the current phase from <base>/info, or null.
  function phaseDuration(info, routineId, phase) {
    if (!info || !Array.isArray(info.routines) || !routineId || !phase) return null;
    const routine = info.routines.find((r) => r && r.id === routineId);
    if (!routine || !Array.isArray(routine.phases)) return null;
    const p = routine.phases[phase - 1];
    return p && Number.isFinite(p.duration_s) ? p.duration_s : null;
  }

  // Does the phase clock run in this state? Paused, idle and fault states stand still.
  function isTicking(state) {
    return !!state && ACTIVE.has(state.status) && Number(state.remaining_s) > 0;
  }

  // How old a state is, in padtimerd's seconds, when it arrives. A live message is fresh. A
  // retained one (delivered on subscribe) may be up to a minute old: at time_scale 1 its
  // updated_at tells, bounded to 0..65 s so that a phone clock that is off cannot run the
  // countdown far away; with a time scale padtimerd's clock is not the phone's, so 0 (the
  // next state, at most a minute of padtimerd's time later, corrects it).
  function stateAgeSeconds(state, retained, nowMs) {
    if (!retained || !state || Number(state.time_scale) !== 1 || !state.updated_at) return 0;
    const published = Date.parse(state.updated_at);
    if (!Number.isFinite(published)) return 0;
    return Math.min(65, Math.max(0, (nowMs - published) / 1000));
  }

  // The countdown anchor for a state received at `receivedMs` (a monotonic clock, ms).
  function makeAnchor(state, retained, receivedMs, wallNowMs) {
    const scale = Number(state && state.time_scale) > 0 ? Number(state.time_scale) : 1;
    const age = isTicking(state) ? stateAgeSeconds(state, retained, wallNowMs) : 0;
    return {
      remaining: Math.max(0, (Number(state && state.remaining_s) || 0) - age),
      receivedMs,
      scale,
      ticking: isTicking(state),
    };
  }

  // Seconds left at `nowMs` (same clock as the anchor), not rounded.
  function exactRemainingAt(anchor, nowMs) {
    if (!anchor) return 0;
    if (!anchor.ticking) return anchor.remaining;
    const elapsed = Math.max(0, (nowMs - anchor.receivedMs) / 1000) * anchor.scale;
    return Math.max(0, anchor.remaining - elapsed);
  }

  // Seconds left at `nowMs` (same clock as the anchor), rounded up like padtimerd's.
  function remainingAt(anchor, nowMs) {
    return Math.ceil(exactRemainingAt(anchor, nowMs));
  }

  // The anchor for a new state, given the one before. A state of the same running phase
  // arrives a little late (the network) and rounded up, so it may be a second or two "behind"
  // the local countdown: then the countdown goes on as it was instead of stepping back. A
  // bigger difference (an extend, a skip, a resume) is taken as it is.
  function nextAnchor(previous, previousState, state, retained, receivedMs, wallNowMs) {
    const anchor = makeAnchor(state, retained, receivedMs, wallNowMs);
    if (!previous || !previous.ticking || !anchor.ticking || !previousState) return anchor;
    const same = previousState.routine === state.routine && previousState.phase === state.phase &&
        previousState.status === state.status;
    if (!same) return anchor;
    const predicted = exactRemainingAt(previous, receivedMs);
    const tolerance = Math.min(30, 2 * anchor.scale);
    if (anchor.remaining > predicted && anchor.remaining - predicted <= tolerance) {
      anchor.remaining = predicted;
    }
    return anchor;
  }

  // 0..1: how much of the phase is left, for the ring.
  function ringFraction(remaining, total) {
    if (!(total > 0)) return remaining > 0 ? 1 : 0;
    return Math.min(1, Math.max(0, remaining / total));
  }

  // Which zone document a topic is: {zone, kind} for <base>/<zone>/<kind>, {zone: null, kind}
  // for <base>/<kind>, or null for a topic outside the base.
  function parseTopic(base, topic) {
    const prefix = `${base}/`;
    if (typeof topic !== 'string' || !topic.startsWith(prefix)) return null;
    const rest = topic.slice(prefix.length).split('/');
    if (rest.length === 1) return { zone: null, kind: rest[0] };
    if (rest.length === 2 && rest[0] !== '') return { zone: rest[0], kind: rest[1] };
    return null;
  }

  // The base topic must be MQTT topic levels without wildcards.
  function validBase(base) {
    return typeof base === 'string' && base.length > 0 && !/[#+\u0000]/.test(base) &&
        base.split('/').every((level) => level.length > 0);
  }

  // The broker to try first: the page's own host and port over ws:// (wss:// on https),
  // as mosquitto serves the page from its websockets listener (http_dir).
  function defaultBrokerUrl(loc) {
    if (!loc || !/^https?:$/.test(loc.protocol) || !loc.host) return 'ws://localhost:9001/';
    return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/`;
  }

  // Parse a JSON payload; null when it is not JSON (or empty: a cleared retained topic).
  function parseJson(text) {
    if (typeof text !== 'string' || text.length === 0) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  // The text of a result for people: refusals keep padtimerd's message.
  function describeResult(result) {
    if (!result || typeof result !== 'object') return { ok: false, text: 'unreadable answer' };
    const message = typeof result.message === 'string' && result.message ? result.message : '';
    if (result.ok) return { ok: true, text: message || 'done' };
    return { ok: false, code: result.code || 'refused', text: message || String(result.code || 'refused') };
  }

  const OUTCOMES = {
    completed: 'completed',
    stopped: 'stopped',
    emergency_stop: 'emergency stop',
    fault: 'fault',
    pause_timeout: 'paused too long',
  };

  // One line for a session from <base>/<zone>/history.
  function describeSession(session) {
    const outcome = session && session.outcome ? (OUTCOMES[session.outcome] || session.outcome)
                                               : 'running';
    return {
      routine: (session && session.routine) || '?',
      outcome,
      exposure: formatDuration(session && session.exposure_s),
      startedAt: session && session.started_at ? session.started_at : null,
    };
  }

  // Which buttons a zone offers in a state.
  function controlsFor(state) {
    const status = state ? state.status : null;
    if (status === 'heat' || status === 'cold' || status === 'rest') return { start: false, pause: true, resume: false, stop: true, reset: false };
    if (status === 'paused') return { start: false, pause: false, resume: true, stop: true, reset: false };
    if (status === 'fault') return { start: false, pause: false, resume: false, stop: false, reset: true };
    return { start: true, pause: false, resume: false, stop: false, reset: false };
  }

  return {
    formatClock,
    formatDuration,
    routineSummary,
    phaseDuration,
    isTicking,
    stateAgeSeconds,
    makeAnchor,
    nextAnchor,
    remainingAt,
    ringFraction,
    parseTopic,
    validBase,
    defaultBrokerUrl,
    parseJson,
    describeResult,
    describeSession,
    controlsFor,
  };
});
