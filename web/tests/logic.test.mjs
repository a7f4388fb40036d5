// Unit tests of the panel's pure part (src/logic.js): the countdown between two states,
// formatting, topics and which buttons a state offers. Run: node --test tests/logic.test.mjs
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import test from 'node:test';

const require = createRequire(import.meta.url);
const L = require('../src/logic.js');

const heat = (extra = {}) => ({
  zone: 'bed', status: 'heat', routine: 'evening', phase: 1, phases: 3, phase_kind: 'heat',
  remaining_s: 600, time_scale: 1, updated_at: '2026-11-24T16:37:33Z', ready: true, ...extra,
});

test('formatClock: mm:ss below an hour, h:mm:ss above, never negative', () => {
  assert.equal(L.formatClock(0), '00:00');
  assert.equal(L.formatClock(95), '01:35');
  assert.equal(L.formatClock(599.9), '09:59');
  assert.equal(L.formatClock(3725), '1:02:05');
  assert.equal(L.formatClock(-4), '00:00');
  assert.equal(L.formatClock(undefined), '00:00');
});

test('formatDuration: seconds, minutes, hours', () => {
  assert.equal(L.formatDuration(19), '19 s');
  assert.equal(L.formatDuration(60), '1 min');
  assert.equal(L.formatDuration(7200), '2 h');
  assert.equal(L.formatDuration(3900), '1 h 5 min');
});

test('routineSummary and phaseDuration read <base>/info', () => {
  const info = { routines: [{ id: 'demo', phases: [
    { kind: 'heat', duration_s: 900 }, { kind: 'rest', duration_s: 300 }, { kind: 'cold', duration_s: 90 }] }] };
  assert.equal(L.routineSummary(info.routines[0]), 'heat 15 · rest 5 · cold 1.5 min');
  assert.equal(L.phaseDuration(info, 'demo', 2), 300);
  assert.equal(L.phaseDuration(info, 'demo', 4), null);
  assert.equal(L.phaseDuration(info, 'other', 1), null);
  assert.equal(L.phaseDuration(null, 'demo', 1), null);
});

test('the countdown runs at the state\'s time_scale from the moment it arrived', () => {
  const live = L.makeAnchor(heat({ remaining_s: 600, time_scale: 15 }), false, 1000, 0);
  assert.equal(L.remainingAt(live, 1000), 600);
  assert.equal(L.remainingAt(live, 2000), 585);    // 1 s real = 15 s of padtimerd's clock
  assert.equal(L.remainingAt(live, 1000 + 40000), 0);  // not below 0
  const normal = L.makeAnchor(heat({ remaining_s: 600 }), false, 0, 0);
  assert.equal(L.remainingAt(normal, 30500), 570);  // rounded up, like padtimerd
});

test('paused, idle and fault states do not tick', () => {
  for (const status of ['paused', 'idle', 'fault']) {
    const anchor = L.makeAnchor(heat({ status, remaining_s: 300 }), false, 0, 0);
    assert.equal(L.remainingAt(anchor, 60000), 300, status);
  }
});

test('a retained state at time_scale 1 is aged by updated_at, at most 65 s', () => {
  const published = Date.parse('2026-11-24T16:37:33Z');
  const retained = (ageMs) => L.makeAnchor(heat(), true, 0, published + ageMs);
  assert.equal(L.remainingAt(retained(20000), 0), 580);
  assert.equal(L.remainingAt(retained(3600000), 0), 535);  // a phone clock an hour off
  assert.equal(L.remainingAt(retained(-5000), 0), 600);    // or behind
  // A live message is fresh whatever the clocks say; a scaled clock is not the phone's.
  assert.equal(L.remainingAt(L.makeAnchor(heat(), false, 0, published + 20000), 0), 600);
  assert.equal(L.remainingAt(L.makeAnchor(heat({ time_scale: 15 }), true, 0, published + 20000), 0), 600);
});

test('a new state of the same phase does not step the countdown back by a second or two', () => {
  const first = L.makeAnchor(heat({ remaining_s: 600 }), false, 0, 0);
  // 10.3 s later a state says 591 (published 0.3 s ago, rounded up): the countdown goes on.
  const late = L.nextAnchor(first, heat({ remaining_s: 600 }), heat({ remaining_s: 591 }), false, 10300, 0);
  assert.equal(L.remainingAt(late, 10300), 590);
  // A state that is ahead of the local countdown is taken.
  const ahead = L.nextAnchor(first, heat({ remaining_s: 600 }), heat({ remaining_s: 585 }), false, 10300, 0);
  assert.equal(L.remainingAt(ahead, 10300), 585);
  // An extend (5 min more) is a jump, taken as it is.
  const extended = L.nextAnchor(first, heat({ remaining_s: 600 }), heat({ remaining_s: 890 }), false, 10300, 0);
  assert.equal(L.remainingAt(extended, 10300), 890);
  // A resume or the next phase starts from the state.
  const paused = L.makeAnchor(heat({ status: 'paused', remaining_s: 300 }), false, 0, 0);
  assert.equal(L.remainingAt(L.nextAnchor(paused, heat({ status: 'paused' }), heat({ remaining_s: 300 }), false, 9000, 0), 9000), 300);
  const next = L.nextAnchor(first, heat(), heat({ phase: 2, status: 'rest', phase_kind: 'rest', remaining_s: 600 }), false, 10300, 0);
  assert.equal(L.remainingAt(next, 10300), 600);
});

test('ringFraction is the part of the phase left, within 0..1', () => {
  assert.equal(L.ringFraction(450, 900), 0.5);
  assert.equal(L.ringFraction(1200, 900), 1);
  assert.equal(L.ringFraction(0, 900), 0);
  assert.equal(L.ringFraction(10, 0), 1);
});

test('parseTopic splits <base>/<zone>/<kind> and <base>/<kind>', () => {
  assert.deepEqual(L.parseTopic('padtimer', 'padtimer/bed/state'), { zone: 'bed', kind: 'state' });
  assert.deepEqual(L.parseTopic('home/padtimer', 'home/padtimer/info'), { zone: null, kind: 'info' });
  assert.equal(L.parseTopic('padtimer', 'other/bed/state'), null);
  assert.equal(L.parseTopic('padtimer', 'padtimer/a/b/c'), null);
  assert.equal(L.parseTopic('padtimer', 'padtimerx/bed/state'), null);
});

test('validBase refuses wildcards and empty levels', () => {
  assert.ok(L.validBase('padtimer'));
  assert.ok(L.validBase('home/padtimer'));
  for (const bad of ['', 'a/+/b', '#', 'a//b', '/a', 'a/']) assert.ok(!L.validBase(bad), bad);
});

test('defaultBrokerUrl is the page\'s own host and port', () => {
  assert.equal(L.defaultBrokerUrl({ protocol: 'http:', host: '192.168.1.10:9001' }), 'ws://192.168.1.10:9001/');
  assert.equal(L.defaultBrokerUrl({ protocol: 'https:', host: 'pads.example:8443' }), 'wss://pads.example:8443/');
  assert.equal(L.defaultBrokerUrl({ protocol: 'file:', host: '' }), 'ws://localhost:9001/');
});

test('describeResult keeps padtimerd\'s message for refusals', () => {
  assert.deepEqual(L.describeResult({ id: 'x', ok: false, code: 'rest_interval',
                                      message: 'rest interval: bed may start again at 14:20' }),
                   { ok: false, code: 'rest_interval', text: 'rest interval: bed may start again at 14:20' });
  assert.deepEqual(L.describeResult({ id: 'x', ok: true, message: 'stopped' }), { ok: true, text: 'stopped' });
  assert.equal(L.describeResult({ ok: false, code: 'fault_latched' }).text, 'fault_latched');
  assert.equal(L.parseJson(''), null);
  assert.equal(L.parseJson('{bad'), null);
});

test('describeSession: outcome in words, exposure, running sessions', () => {
  assert.deepEqual(L.describeSession({ routine: 'demo', started_at: 't', outcome: 'pause_timeout', exposure_s: 95 }),
                   { routine: 'demo', outcome: 'paused too long', exposure: '1 min', startedAt: 't' });
  assert.equal(L.describeSession({ routine: 'demo', outcome: null }).outcome, 'running');
});

test('controlsFor: start when idle, pause/stop when running, resume/stop when paused, reset on fault', () => {
  assert.deepEqual(L.controlsFor({ status: 'idle' }), { start: true, pause: false, resume: false, stop: false, reset: false });
  for (const status of ['heat', 'cold', 'rest']) {
    assert.deepEqual(L.controlsFor({ status }), { start: false, pause: true, resume: false, stop: true, reset: false });
  }
  assert.deepEqual(L.controlsFor({ status: 'paused' }), { start: false, pause: false, resume: true, stop: true, reset: false });
  assert.deepEqual(L.controlsFor({ status: 'fault' }), { start: false, pause: false, resume: false, stop: false, reset: true });
});
