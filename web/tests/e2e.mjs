#!/usr/bin/env node
// End-to-end test of the web panel, everything real: a private mosquitto (a TCP listener and
// a websockets listener that also serves the built panel through http_dir, both on free
// loopback ports), padtimer-sim playing the demo's heat pad and cold pack, padtimerd with
// config/padtimer.demo.yaml at --time-scale 15, and the page in Debian's headless Chromium
// driven by playwright-core at a phone's viewport.
//
// It checks that the no-password websockets port is loopback only, opens the page (a wrong
// remembered broker opens the settings; the right one entered there connects and is kept),
// checks the web app manifest, waits for the zone to be ready, presses "Start demo" and checks
// that the page shows heat with a moving countdown and ring while the simulated pad's relay
// goes ON; then pause and resume, stop (relay OFF, the session in "Last sessions"), and a
// second start that padtimerd refuses for the rest interval, shown with its message. Any
// console error or failed request of the page fails it. Screenshots go to --artifacts
// (e2e-heat.png, e2e-refused.png in dark mode; e2e-failure.png when it fails).
//
// Exit status: 0 passed, 1 failed, 77 skipped (ctest's SKIP_RETURN_CODE): no Chromium, unless
// CI=true, where a missing Chromium fails. Every process it starts is stopped, also on
// failure; an overall deadline ends the test before ctest's timeout could kill it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    padtimerd: { type: 'string' },
    sim: { type: 'string' },
    mosquitto: { type: 'string', default: '/usr/sbin/mosquitto' },
    config: { type: 'string' },
    panel: { type: 'string' },
    'node-modules': { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'time-scale': { type: 'string', default: '15' },
    deadline: { type: 'string', default: '100' },
  },
});
for (const required of ['padtimerd', 'sim', 'config', 'panel', 'node-modules', 'artifacts']) {
  if (!opt[required]) {
    console.error(`e2e: --${required} is required`);
    process.exit(2);
  }
}

const ZONE = 'lower_back';
const ROUTINE = 'demo';
const STEP_MS = 20000;  // the longest any single step may take
const SKIP = 77;

function log(message) {
  const t = ((performance.now()) / 1000).toFixed(2).padStart(6);
  console.log(`[${t}s] ${message}`);
}

// ---- preconditions ------------------------------------------------------------------------

const inCi = process.env.CI === 'true';
if (!fs.existsSync(opt.chromium)) {
  const why = `${opt.chromium} not found (Debian's chromium package: scripts/install-deps.sh)`;
  if (inCi) {
    console.error(`e2e: FAILED: ${why}; CI=true, so this is a failure, not a skip`);
    process.exit(1);
  }
  console.log(`e2e: SKIPPED: ${why}`);
  process.exit(SKIP);
}
if (!fs.existsSync(path.join(opt.panel, 'index.html'))) {
  console.error(`e2e: no ${path.join(opt.panel, 'index.html')}: build the web target first`);
  process.exit(1);
}
const require = createRequire(path.join(path.resolve(opt['node-modules']), 'noop.js'));
const { chromium } = require('playwright-core');

// ---- child processes ----------------------------------------------------------------------

const children = [];

// A child whose output is kept, so the test can wait for a line of it.
function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const proc = { name, child, output: '', exited: null, waiters: new Set() };
  const take = (chunk) => {
    proc.output += chunk.toString();
    for (const waiter of proc.waiters) waiter();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  child.on('exit', (code, signal) => {
    proc.exited = signal || code;
    for (const waiter of proc.waiters) waiter();
  });
  child.on('error', (err) => {
    proc.output += `\n(${name} could not start: ${err.message})\n`;
    proc.exited = 'spawn error';
    for (const waiter of proc.waiters) waiter();
  });
  children.push(proc);
  return proc;
}

// Resolves when the output (from offset `from` on) matches `pattern`; rejects when the process
// ends first or after `timeoutMs`.
function waitForOutput(proc, pattern, timeoutMs = STEP_MS, from = 0) {
  return new Promise((resolve, reject) => {
    let timer;
    const check = () => {
      const match = proc.output.slice(from).match(pattern);
      if (match) {
        done();
        resolve(match);
      } else if (proc.exited !== null) {
        done();
        reject(new Error(`${proc.name} ended (${proc.exited}) before printing ${pattern}`));
      }
    };
    const done = () => {
      clearTimeout(timer);
      proc.waiters.delete(check);
    };
    timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} from ${proc.name} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    proc.waiters.add(check);
    check();
  });
}

async function stop(proc) {
  if (proc.exited !== null) return;
  const ended = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
  await ended;
  clearTimeout(timer);
}

// Newest first: padtimerd (it switches the pads off), then the devices, then the broker.
async function stopAll() {
  for (const proc of [...children].reverse()) await stop(proc);
}

// A free loopback port: the kernel picks one (never 1883: that is not an ephemeral port).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// mosquitto cannot be given port 0, so pick free ports and retry if one was taken meanwhile.
async function startBroker(dir) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const tcp = await freePort();
    let ws = await freePort();
    while (ws === tcp) ws = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(conf, [
      `listener ${tcp} 127.0.0.1`,
      // Websockets listeners take an interface, not an address: mosquitto 2.0.11 (Debian 12)
      // would listen on every interface for "127.0.0.1" (checked below).
      `listener ${ws} lo`,
      'protocol websockets',
      `http_dir ${path.resolve(opt.panel)}`,
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'log_dest stderr',
      ...(process.getuid && process.getuid() === 0 ? ['user root'] : []),
      '',
    ].join('\n'));
    const broker = start('mosquitto', opt.mosquitto, ['-c', conf]);
    try {
      // "running" is logged once every listener is open.
      await waitForOutput(broker, / running/, 5000);
      return { broker, tcp, ws };
    } catch (e) {
      await stop(broker);
      children.splice(children.indexOf(broker), 1);
      log(`mosquitto on ${tcp}/${ws} did not start (attempt ${attempt}): ${e.message}`);
    }
  }
  throw new Error('could not start mosquitto on free loopback ports');
}

// The broker has no password: its websockets port must not be reachable from the network.
// Tried on this machine's first non-loopback IPv4 address, if it has one.
async function checkLoopbackOnly(port) {
  const external = Object.values(os.networkInterfaces()).flat()
                       .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!external) return;
  const reachable = await new Promise((resolve) => {
    const socket = net.connect({ host: external.address, port, timeout: 2000 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
  check(!reachable, `the websockets listener is reachable on ${external.address}:${port}, not only on loopback`);
  log(`websockets listener not reachable on ${external.address}: loopback only`);
}

// ---- the test -----------------------------------------------------------------------------

const artifacts = path.resolve(opt.artifacts);
fs.mkdirSync(artifacts, { recursive: true });
for (const old of ['e2e-heat.png', 'e2e-refused.png', 'e2e-failure.png']) {
  fs.rmSync(path.join(artifacts, old), { force: true });
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'padtimer-web-e2e-'));
let browser = null;
let page = null;
const pageProblems = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function text(selector) {
  return (await page.locator(selector).first().textContent() || '').trim();
}

async function run() {
  const { tcp, ws } = await startBroker(work);
  log(`mosquitto: tcp ${tcp}, websockets + http_dir ${ws}`);
  await checkLoopbackOnly(ws);
  const brokerUrl = `mqtt://127.0.0.1:${tcp}`;

  const sim = start('padtimer-sim', opt.sim, [
    '--broker', brokerUrl, '--telemetry-period', '1s',
    '--device', 'tasmota:heat_pad,topic=demo_heat_pad',
    '--device', 'shelly_rpc:cold_pack,id=shellyplus1-demo-cold,role=cold',
  ]);
  await waitForOutput(sim, /padtimer-sim: connected/);
  log('padtimer-sim connected');

  const config = fs.readFileSync(opt.config, 'utf8');
  check(/url: mqtt:\/\/127\.0\.0\.1:\d+/.test(config), `${opt.config} has no "url: mqtt://127.0.0.1:PORT"`);
  fs.writeFileSync(path.join(work, 'padtimer.yaml'),
                   config.replace(/url: mqtt:\/\/127\.0\.0\.1:\d+/, `url: ${brokerUrl}`));
  fs.mkdirSync(path.join(work, 'state'));
  const daemon = start('padtimerd', opt.padtimerd, [
    '--config', path.join(work, 'padtimer.yaml'), '--state-dir', path.join(work, 'state'),
    '--time-scale', opt['time-scale'],
  ]);
  await waitForOutput(daemon, /mqtt: connected/);
  log('padtimerd connected');

  browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    // Playwright adds --no-sandbox (needed as root) and a fresh --user-data-dir; these keep
    // Chromium off the network it cannot reach anyway.
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-default-apps'],
  });
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: 'light',
    locale: 'en-GB',
  });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageProblems.push(`console error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => pageProblems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));

  const url = `http://127.0.0.1:${ws}/`;
  log(`opening ${url} in ${opt.chromium} (${browser.version()})`);
  await page.goto(url);

  // Connection settings: a remembered broker that is not there opens the settings; the
  // right one entered there connects and is remembered.
  const nowhere = `ws://127.0.0.1:${await freePort()}/`;
  await page.evaluate((wrong) => localStorage.setItem('padtimer.panel.settings.v1', JSON.stringify(
      { url: wrong, base: 'padtimer', username: '', password: '' })), nowhere);
  await page.reload();
  await page.waitForSelector('#settings:not([hidden])');
  await page.waitForSelector('#connection:is([data-state="offline"], [data-state="error"], [data-state="connecting"])');
  check((await text('#placeholder')).includes(`Cannot reach ${nowhere}`), 'no "Cannot reach" hint');
  await page.fill('#settings-form input[name="url"]', `ws://127.0.0.1:${ws}/`);
  await page.click('#settings-form button[type="submit"]');
  await page.waitForSelector('#connection[data-state="connected"]');
  check(await page.isHidden('#settings'), 'the settings stay open after connecting');
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('padtimer.panel.settings.v1')).url);
  check(saved === `ws://127.0.0.1:${ws}/`, `remembered broker ${saved}`);
  log('settings: a wrong broker opens them, the right one connects and is remembered');
  pageProblems.length = 0;  // the failed connection and the reload were meant

  // The manifest is there and parses (installable to the home screen).
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  check(manifest.url.endsWith('/manifest.webmanifest'), `no manifest link: ${JSON.stringify(manifest)}`);
  check(manifest.errors.length === 0, `manifest errors: ${JSON.stringify(manifest.errors)}`);
  let declared = null;
  try {
    declared = JSON.parse(manifest.data);
  } catch (e) {
    throw new Error(`manifest is not JSON: ${e.message}`);
  }
  check(declared.name === 'padtimer' && declared.display === 'standalone' && declared.icons.length >= 2,
        `unexpected manifest: ${manifest.data}`);
  const installability = await cdp.send('Page.getInstallabilityErrors').catch(() => null);
  log(`manifest OK; installability errors: ${JSON.stringify(installability && installability.installabilityErrors)}`);

  // The zone card, ready: connected, padtimerd online, devices confirmed OFF.
  const card = `article.zone[data-zone="${ZONE}"]`;
  await page.waitForSelector('#connection[data-state="connected"]');
  await page.waitForSelector(`${card}[data-status="idle"][data-ready="true"]`);
  const startButton = page.locator(`${card} button[data-action="start"][data-routine="${ROUTINE}"]`);
  await startButton.waitFor({ state: 'visible' });
  check(await startButton.isEnabled(), 'the start button is disabled although the zone is ready');
  log(`zone card ready; button "${await startButton.getAttribute('aria-label')}"`);

  // Start: heat, a countdown that moves, the relay ON.
  const simMark = sim.output.length;
  await startButton.click();
  await page.waitForSelector(`${card}[data-status="heat"]`);
  await page.waitForSelector(`${card} .result[data-ok="true"]`);
  // The pad confirmed ON (padtimerd's state says ready again).
  await page.waitForSelector(`${card}[data-status="heat"][data-ready="true"]`);
  log(`heat; result: ${await text(`${card} .result`)}`);
  check(/Heating/.test(await text(`${card} .status-badge`)), 'the status badge does not say Heating');
  // The countdown and the ring, read together: two readings must differ and go down.
  const clock = () => page.locator(card).evaluate((el) => ({
    text: el.querySelector('.countdown').textContent.trim(),
    offset: Number(el.querySelector('.ring-fill').style.strokeDashoffset),
  }));
  const secs = (mmss) => mmss.split(':').reduce((a, b) => a * 60 + Number(b), 0);
  const first = await clock();
  check(/^\d{2}:\d{2}$/.test(first.text), `countdown "${first.text}" is not mm:ss`);
  check(secs(first.text) <= 900, `countdown ${first.text} is longer than the 15 min heat phase`);
  await page.waitForFunction(([sel, before]) => document.querySelector(sel).textContent.trim() !== before,
                             [`${card} .countdown`, first.text]);
  const second = await clock();
  check(secs(second.text) < secs(first.text), `countdown went from ${first.text} to ${second.text}`);
  check(second.offset > first.offset, `the ring did not move (${first.offset} -> ${second.offset})`);
  log(`countdown ${first.text} -> ${second.text}, ring offset ${first.offset.toFixed(1)} -> ${second.offset.toFixed(1)}`);
  await waitForOutput(sim, /heat_pad: relay ON \(heat\)/, STEP_MS, simMark);
  log('padtimer-sim: heat_pad relay ON');
  await page.waitForFunction((sel) => /\d+\.\d °C/.test(document.querySelector(sel).textContent),
                             `${card} .devices`);
  await page.waitForSelector(`${card} .device[data-output="heat"]`);
  check(/phase|heat 1\/3/i.test(await text(`${card} .phase-label`)), 'no phase label');
  // The screenshot once the ring shows some progress (14:00 left: 4 s at --time-scale 15).
  await page.waitForFunction((sel) => /^(1[0-3]|0\d):\d\d$/.test(document.querySelector(sel).textContent.trim()),
                             `${card} .countdown`);
  const heatShot = path.join(artifacts, 'e2e-heat.png');
  await page.screenshot({ path: heatShot });
  log(`screenshot: ${heatShot}`);

  // Pause and resume.
  await page.locator(`${card} button[data-action="pause"]`).click();
  await page.waitForSelector(`${card}[data-status="paused"]`);
  await page.locator(`${card} button[data-action="resume"]:not([disabled])`).click();
  await page.waitForSelector(`${card}[data-status="heat"]`);
  log('paused and resumed');

  // Stop: idle, relay OFF, the session in the history.
  const stopMark = sim.output.length;
  await page.locator(`${card} button[data-action="stop"]:not([disabled])`).click();
  await page.waitForSelector(`${card}[data-status="idle"]`);
  await waitForOutput(sim, /heat_pad: relay OFF/, STEP_MS, stopMark);
  await page.waitForSelector(`${card} .history-list li[data-outcome="stopped"]`);
  const lastSession = await page.locator(`${card} .history-list li`).first()
                                .evaluate((li) => [...li.children].map((c) => c.textContent).join(' · '));
  log(`stopped; last session: ${lastSession}`);
  await page.waitForSelector(`${card} .next-start:not([hidden])`);

  // A second start is refused for the rest interval, with padtimerd's message.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForSelector(`${card}[data-ready="true"]`);
  await startButton.click();
  const refusal = `${card} .result[data-ok="false"][data-code="rest_interval"]`;
  await page.waitForSelector(refusal);
  const refusalText = await text(refusal);
  // "at 14:20", "tomorrow at 00:55" (near midnight) or "on 2026-11-26 at 14:20".
  check(/may start again (at|tomorrow at|on \d{4}-\d{2}-\d{2} at) \d{2}:\d{2}/.test(refusalText), `refusal without its message: "${refusalText}"`);
  log(`refusal shown: ${refusalText}`);
  const refusedShot = path.join(artifacts, 'e2e-refused.png');
  await page.screenshot({ path: refusedShot });
  log(`screenshot: ${refusedShot}`);

  check(pageProblems.length === 0, `the page reported problems:\n  ${pageProblems.join('\n  ')}`);
}

const deadline = setTimeout(() => {
  finish(new Error(`the whole test took more than ${opt.deadline} s`));
}, Number(opt.deadline) * 1000);

let finished = false;
async function finish(error) {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  if (error) {
    console.error(`e2e: FAILED: ${error.stack || error.message}`);
    if (page) {
      const shot = path.join(artifacts, 'e2e-failure.png');
      await page.screenshot({ path: shot, timeout: 5000 }).then(() => console.error(`e2e: failure screenshot: ${shot}`),
                                                                () => {});
    }
    for (const problem of pageProblems) console.error(`e2e: ${problem}`);
    for (const proc of children) {
      console.error(`---- ${proc.name} (last lines)\n${proc.output.split('\n').slice(-25).join('\n')}`);
    }
  }
  if (browser) await browser.close().catch(() => {});
  await stopAll();
  fs.rmSync(work, { recursive: true, force: true });
  console.log(error ? 'e2e: 0 passed, 1 failed' : 'e2e: 1 passed, 0 failed');
  process.exit(error ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => finish(new Error(`interrupted (${signal})`)));
}
run().then(() => finish(null), (error) => finish(error));
