// padtimer web panel: connects to the broker with MQTT over WebSockets (MQTT.js's browser
// bundle, the global `mqtt`), shows one card per zone of padtimerd's <base>/info and sends
// requests to <base>/<zone>/set. The MQTT API is daemon/control/README.md.
//
// A classic script like logic.js (mosquitto's http_dir sends no Content-Type, which module
// scripts need). Everything it shows comes from padtimerd's messages; the only thing it
// computes itself is the countdown between two states.
(function () {
  'use strict';

  const L = window.PadtimerLogic;
  const STORAGE_KEY = 'padtimer.panel.settings.v1';
  const REQUEST_TIMEOUT_MS = 10000;
  const HISTORY_SHOWN = 5;
  const RING_LENGTH = 2 * Math.PI * 52;  // the ring's circumference in the SVG's units

  const $ = (id) => document.getElementById(id);
  const ui = {
    connection: $('connection'),
    daemonOffline: $('daemon-offline'),
    settings: $('settings'),
    settingsToggle: $('settings-toggle'),
    form: $('settings-form'),
    formError: $('settings-error'),
    defaults: $('settings-defaults'),
    zones: $('zones'),
    placeholder: $('placeholder'),
    template: $('zone-template'),
  };

  const app = {
    settings: null,
    client: null,
    everConnected: false,
    askedForSettings: false,
    info: null,
    daemonStatus: null,  // "online", "offline" or null (never published)
    zones: new Map(),    // zone id -> view (see zoneView)
    pending: new Map(),  // request id -> {zone, timer}
    tag: Math.random().toString(36).slice(2, 10),
    seq: 0,
  };

  // ---- settings ---------------------------------------------------------------------------

  function defaultSettings() {
    return { url: L.defaultBrokerUrl(window.location), base: 'padtimer', username: '', password: '' };
  }

  function loadSettings() {
    const settings = defaultSettings();
    try {
      const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || 'null');
      if (saved && typeof saved === 'object') {
        for (const key of Object.keys(settings)) {
          if (typeof saved[key] === 'string') settings[key] = saved[key];
        }
      }
    } catch (e) {
      // No storage (private mode) or a damaged entry: the defaults.
    }
    return settings;
  }

  function saveSettings(settings) {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
    } catch (e) {
      // Not remembered, but still used.
    }
  }

  function fillForm(settings) {
    for (const key of Object.keys(settings)) ui.form.elements[key].value = settings[key];
  }

  function showSettings(open) {
    ui.settings.hidden = !open;
    ui.settingsToggle.setAttribute('aria-expanded', String(open));
    if (open) fillForm(app.settings);
  }

  ui.settingsToggle.addEventListener('click', () => showSettings(ui.settings.hidden));
  ui.defaults.addEventListener('click', () => fillForm(defaultSettings()));
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const f = ui.form.elements;
    const next = {
      url: f.url.value.trim(),
      base: f.base.value.trim().replace(/\/+$/, ''),
      username: f.username.value,
      password: f.password.value,
    };
    let problem = '';
    if (!/^wss?:\/\/[^/]+/i.test(next.url)) problem = 'The broker URL starts with ws:// or wss://, e.g. ws://192.168.1.10:9001/';
    else if (!L.validBase(next.base)) problem = 'The base topic is topic levels separated by "/", without "+" or "#".';
    ui.formError.textContent = problem;
    ui.formError.hidden = !problem;
    if (problem) return;
    app.settings = next;
    saveSettings(next);
    showSettings(false);
    connect();
  });

  // ---- connection -------------------------------------------------------------------------

  function setConnection(state, text) {
    ui.connection.dataset.state = state;
    ui.connection.textContent = text;
    renderAll();
  }

  function connected() {
    return !!(app.client && app.client.connected);
  }

  function disconnect() {
    if (app.client) {
      app.client.removeAllListeners();
      app.client.on('error', () => {});
      app.client.end(true);
      app.client = null;
    }
  }

  function resetView() {
    app.info = null;
    app.daemonStatus = null;
    for (const view of app.zones.values()) view.card.remove();
    app.zones.clear();
    for (const pending of app.pending.values()) clearTimeout(pending.timer);
    app.pending.clear();
    ui.placeholder.hidden = false;
    ui.placeholder.textContent = 'Connecting to the broker…';
  }

  function connect() {
    disconnect();
    resetView();
    app.everConnected = false;
    app.askedForSettings = false;
    const s = app.settings;
    const where = s.url.replace(/^wss?:\/\//i, '').replace(/\/.*$/, '');
    setConnection('connecting', `Connecting to ${where}…`);

    const options = {
      clientId: `padtimer-web-${app.tag}`,
      clean: true,
      keepalive: 30,
      connectTimeout: 8000,
      reconnectPeriod: 3000,
      resubscribe: false,  // subscribed on every connect below
    };
    if (s.username) options.username = s.username;
    if (s.password) options.password = s.password;

    let client;
    try {
      client = window.mqtt.connect(s.url, options);
    } catch (e) {
      setConnection('error', `Cannot use ${s.url}: ${e.message}`);
      showSettings(true);
      return;
    }
    app.client = client;
    const base = s.base;

    client.on('connect', () => {
      app.everConnected = true;
      setConnection('connected', 'Connected');
      ui.placeholder.textContent = `Waiting for padtimerd on ${base}/info…`;
      const topics = ['status', 'info', 'result', '+/state', '+/history', '+/result', '+/event']
                         .map((t) => `${base}/${t}`);
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) setConnection('error', `Subscribing failed: ${err.message}`);
      });
    });
    client.on('reconnect', () => setConnection('connecting', 'Reconnecting…'));
    client.on('offline', () => setConnection('offline', 'Broker unreachable'));
    client.on('close', () => {
      if (ui.connection.dataset.state === 'connected') setConnection('offline', 'Connection lost');
      if (!app.everConnected) {
        ui.placeholder.textContent = `Cannot reach ${s.url} — check the connection settings.`;
        // Once per connect: the settings open by themselves when the first try fails.
        if (!app.askedForSettings) {
          app.askedForSettings = true;
          showSettings(true);
        }
      }
    });
    client.on('error', (err) => {
      // e.g. "Connection refused: Not authorized": MQTT.js retries, the user fixes settings.
      setConnection('error', err && err.message ? err.message : 'Connection error');
      if (!app.everConnected && !app.askedForSettings) {
        app.askedForSettings = true;
        showSettings(true);
      }
    });
    client.on('message', (topic, payload, packet) => {
      onMessage(base, topic, payload.toString(), !!(packet && packet.retain));
    });
  }

  // Phones suspend pages in the background: reconnect at once when the panel is back.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && app.client && !app.client.connected) {
      app.client.reconnect();
    }
  });

  // ---- messages ---------------------------------------------------------------------------

  function onMessage(base, topic, text, retained) {
    const where = L.parseTopic(base, topic);
    if (!where) return;
    if (where.zone === null) {
      if (where.kind === 'status') {
        app.daemonStatus = text === 'online' || text === 'offline' ? text : null;
        renderAll();
      } else if (where.kind === 'info') {
        setInfo(L.parseJson(text));
      } else if (where.kind === 'result') {
        onResult(L.parseJson(text));
      }
      return;
    }
    const json = L.parseJson(text);
    if (where.kind === 'result') {
      onResult(json);
      return;
    }
    if (!json || typeof json !== 'object') return;
    if (where.kind === 'state') {
      const view = zoneView(where.zone);
      view.anchor = L.nextAnchor(view.anchor, view.state, json, retained, performance.now(), Date.now());
      view.state = json;
      trackPhaseLength(view);
      render(view);
    } else if (where.kind === 'history') {
      const view = zoneView(where.zone);
      view.history = Array.isArray(json.sessions) ? json.sessions : [];
      renderHistory(view);
    } else if (where.kind === 'event') {
      const view = zoneView(where.zone);
      view.lastEvent = json;
      renderEvent(view);
    }
  }

  function setInfo(info) {
    app.info = info && typeof info === 'object' ? info : null;
    const ids = app.info && Array.isArray(app.info.zones) ? app.info.zones : [];
    for (const id of ids) zoneView(id);
    // Cards in the order of the config.
    for (const id of ids) ui.zones.appendChild(app.zones.get(id).card);
    for (const view of app.zones.values()) {
      buildRoutineButtons(view);
      trackPhaseLength(view);
      render(view);
    }
  }

  function onResult(result) {
    if (!result || typeof result !== 'object') return;
    const id = result.id;
    if (typeof id !== 'string' || !app.pending.has(id)) return;  // not one of ours
    const pending = app.pending.get(id);
    clearTimeout(pending.timer);
    app.pending.delete(id);
    const view = app.zones.get(pending.zone);
    if (!view) return;
    view.busy = false;
    showResult(view, L.describeResult(result));
    render(view);
  }

  // ---- requests ---------------------------------------------------------------------------

  function send(view, request, label) {
    if (!connected()) {
      showResult(view, { ok: false, text: 'Not connected to the broker.' });
      return;
    }
    const id = `web-${app.tag}-${++app.seq}`;
    const timer = setTimeout(() => {
      app.pending.delete(id);
      view.busy = false;
      showResult(view, { ok: false, code: 'no_answer', text: 'No answer from padtimerd within 10 s. Is it running?' });
      render(view);
    }, REQUEST_TIMEOUT_MS);
    app.pending.set(id, { zone: view.id, timer });
    view.busy = true;
    showResult(view, { pending: true, text: `${label}…` });
    render(view);
    app.client.publish(`${app.settings.base}/${view.id}/set`, JSON.stringify(Object.assign({ id }, request)),
                       { qos: 1, retain: false });
  }

  function onAction(view, button) {
    const action = button.dataset.action;
    if (action === 'start') {
      const routine = button.dataset.routine;
      send(view, { action: 'start', routine }, `Starting ${routine}`);
    } else if (action === 'stop') {
      send(view, { action: 'stop' }, 'Stopping');
    } else if (action === 'pause') {
      send(view, { action: 'pause' }, 'Pausing');
    } else if (action === 'resume') {
      send(view, { action: 'resume' }, 'Resuming');
    } else if (action === 'reset') {
      send(view, { action: 'reset' }, 'Resetting the fault');
    }
  }

  // ---- zone cards -------------------------------------------------------------------------

  function zoneView(id) {
    let view = app.zones.get(id);
    if (view) return view;
    const card = ui.template.content.firstElementChild.cloneNode(true);
    const q = (selector) => card.querySelector(selector);
    view = {
      id,
      card,
      state: null,
      anchor: null,
      history: null,
      lastEvent: null,
      busy: false,
      ring: { key: '', total: 0 },
      shown: '',
      el: {
        name: q('.zone-name'),
        badge: q('.status-badge'),
        ringFill: q('.ring-fill'),
        countdown: q('.countdown'),
        phase: q('.phase-label'),
        readyNote: q('.ready-note'),
        faultBox: q('.fault-box'),
        faultMessage: q('.fault-message'),
        result: q('.result'),
        devices: q('.devices'),
        devicesLabel: q('.devices-label'),
        exposureText: q('.exposure-text'),
        meter: q('.meter'),
        meterFill: q('.meter-fill'),
        nextStart: q('.next-start'),
        nextStartText: q('.next-start-text'),
        lastEvent: q('.last-event'),
        lastEventText: q('.last-event-text'),
        historyList: q('.history-list'),
        historyEmpty: q('.history-empty'),
        routines: q('.routine-buttons'),
        actions: q('.actions'),
      },
    };
    card.dataset.zone = id;
    const headingId = `zone-${id}-name`;
    view.el.name.id = headingId;
    view.el.name.textContent = label(id);
    card.setAttribute('aria-labelledby', headingId);
    view.el.actions.setAttribute('aria-label', `Controls for ${label(id)}`);
    view.el.ringFill.style.strokeDasharray = `${RING_LENGTH} ${RING_LENGTH}`;
    view.el.actions.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (button && !button.disabled) onAction(view, button);
    });
    app.zones.set(id, view);
    ui.zones.appendChild(card);
    ui.placeholder.hidden = true;
    buildRoutineButtons(view);
    render(view);
    return view;
  }

  // "lower_back" -> "Lower back"
  function label(id) {
    const words = String(id).replace(/[_-]+/g, ' ').trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function buildRoutineButtons(view) {
    const routines = app.info && Array.isArray(app.info.routines) ? app.info.routines : [];
    const box = view.el.routines;
    const key = JSON.stringify(routines);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    for (const routine of routines) {
      if (!routine || typeof routine.id !== 'string') continue;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button big primary start';
      button.dataset.action = 'start';
      button.dataset.routine = routine.id;
      const title = document.createElement('span');
      title.className = 'button-title';
      title.textContent = `Start ${routine.id}`;
      const sub = document.createElement('span');
      sub.className = 'button-sub';
      sub.textContent = L.routineSummary(routine);
      button.append(title, sub);
      button.setAttribute('aria-label', `Start ${routine.id} on ${label(view.id)}: ${sub.textContent}`);
      box.appendChild(button);
    }
  }

  // The ring shows the part of the phase that is left: the phase's planned length from
  // <base>/info, or more after an extend.
  function trackPhaseLength(view) {
    const s = view.state;
    if (!s || !s.routine || !s.phase) {
      view.ring = { key: '', total: 0 };
      return;
    }
    const key = `${s.routine}/${s.phase}`;
    const planned = L.phaseDuration(app.info, s.routine, s.phase) || 0;
    const previous = view.ring.key === key ? view.ring.total : 0;
    view.ring = { key, total: Math.max(planned, previous, Number(s.remaining_s) || 0) };
  }

  const STATUS_TEXT = {
    idle: 'Idle',
    heat: 'Heating',
    cold: 'Cooling',
    rest: 'Resting',
    paused: 'Paused',
    fault: 'Fault',
  };

  function render(view) {
    const s = view.state;
    const e = view.el;
    const status = s && typeof s.status === 'string' ? s.status : 'unknown';
    const daemonDown = app.daemonStatus === 'offline';
    view.card.dataset.status = status;
    view.card.dataset.ready = String(!!(s && s.ready));
    view.card.dataset.stale = String(daemonDown);
    e.badge.textContent = s ? (STATUS_TEXT[status] || status) : 'Waiting…';

    // Buttons: what the state allows, usable when padtimerd can hear them.
    const controls = L.controlsFor(s);
    const live = connected() && !daemonDown && !!s;
    const canStart = live && !view.busy && !!(s && s.ready);
    for (const button of e.routines.querySelectorAll('button')) {
      button.hidden = !controls.start;
      button.disabled = !canStart;
    }
    e.actions.querySelector('.session-buttons').hidden = !(controls.stop || controls.pause || controls.resume);
    for (const action of ['pause', 'resume', 'stop']) {
      const button = e.actions.querySelector(`[data-action="${action}"]`);
      button.hidden = !controls[action];
      button.disabled = !live || view.busy;
    }
    const reset = e.actions.querySelector('[data-action="reset"]');
    reset.hidden = !(controls.reset || (s && s.fault));
    reset.disabled = !live || view.busy;
    e.actions.setAttribute('aria-busy', String(view.busy));

    // Why a start is not possible now.
    let note = '';
    if (!s) note = 'Waiting for padtimerd to publish this zone…';
    else if (controls.start && !s.ready) note = 'Waiting for the pads to report before a start…';
    e.readyNote.textContent = note;
    e.readyNote.hidden = !note;

    // Fault.
    const fault = s && s.fault;
    e.faultBox.hidden = !fault;
    e.faultMessage.textContent = fault ? (s.fault_message || s.fault) : '';

    renderDevices(view);
    renderExposure(view);

    // Next allowed start (rest interval or daily cap).
    const next = s && s.next_allowed_start;
    e.nextStart.hidden = !next;
    e.nextStartText.textContent = next ? `from ${formatWhen(next, true)}` : '';

    renderClock(view, performance.now());
  }

  function renderDevices(view) {
    const s = view.state;
    const box = view.el.devices;
    const devices = s && Array.isArray(s.devices) ? s.devices : [];
    const rows = devices.map((d) => {
      const row = document.createElement('span');
      row.className = 'device';
      row.dataset.output = d.output || 'off';
      const name = document.createElement('span');
      name.className = 'device-name';
      name.textContent = label(d.id || '?');
      const temp = document.createElement('span');
      temp.className = 'device-temp';
      temp.textContent = typeof d.temperature_c === 'number' ? `${d.temperature_c.toFixed(1)} °C` : '– °C';
      const out = document.createElement('span');
      out.className = 'device-output';
      let what = d.output === 'heat' ? 'heating' : d.output === 'cold' ? 'cooling' : 'off';
      if (!d.online) what = 'offline';
      else if (!d.confirmed) what = `${what}…`;
      out.textContent = what;
      if (!d.online) row.dataset.offline = 'true';
      row.append(name, temp, out);
      return row;
    });
    view.el.devicesLabel.textContent = rows.length > 1 ? 'Pads' : 'Pad';
    if (rows.length === 0) box.textContent = '–';
    else box.replaceChildren(...rows);
  }

  function renderExposure(view) {
    const s = view.state;
    const e = view.el;
    const used = s ? Number(s.exposure_today_s) || 0 : 0;
    const cap = s ? Number(s.daily_cap_s) || 0 : 0;
    e.exposureText.textContent = s ? (cap > 0 ? `${L.formatDuration(used)} of ${L.formatDuration(cap)}`
                                              : L.formatDuration(used))
                                   : '–';
    const percent = cap > 0 ? Math.min(100, (used / cap) * 100) : 0;
    e.meterFill.style.width = `${percent}%`;
    e.meter.setAttribute('aria-valuemax', String(cap || 1));
    e.meter.setAttribute('aria-valuenow', String(Math.min(used, cap || used)));
    e.meter.setAttribute('aria-valuetext', e.exposureText.textContent);
    e.meter.setAttribute('aria-label', 'Exposure today');
    e.meter.dataset.level = percent >= 90 ? 'high' : 'normal';
  }

  function renderClock(view, nowMs) {
    const s = view.state;
    const e = view.el;
    const status = s ? s.status : null;
    let text;
    let phase;
    let fraction = 0;
    if (!s) {
      text = '--:--';
      phase = '';
    } else if (status === 'idle' || status === 'fault' || !s.phase) {
      text = status === 'fault' ? 'Fault' : 'Idle';
      phase = status === 'fault' ? 'reset to go on' : 'choose a routine';
    } else {
      const anchor = app.daemonStatus === 'offline' && view.anchor
                         ? Object.assign({}, view.anchor, { ticking: false })
                         : view.anchor;
      const remaining = L.remainingAt(anchor, nowMs);
      text = L.formatClock(remaining);
      fraction = L.ringFraction(remaining, view.ring.total);
      const kind = label(s.phase_kind || status);
      phase = `${status === 'paused' ? 'Paused · ' : ''}${kind} ${s.phase}/${s.phases}`;
    }
    const shown = `${text}|${phase}|${fraction.toFixed(3)}`;
    if (shown === view.shown) return;
    view.shown = shown;
    e.countdown.textContent = text;
    e.countdown.classList.toggle('word', !/^\d/.test(text));
    e.phase.textContent = phase;
    e.countdown.setAttribute('aria-label', /^\d/.test(text) ? `${text} left, ${phase}` : text);
    e.ringFill.style.strokeDashoffset = String(RING_LENGTH * (1 - fraction));
    e.ringFill.dataset.empty = String(fraction === 0);
  }

  function renderHistory(view) {
    const sessions = (view.history || []).slice(0, HISTORY_SHOWN);
    const list = view.el.historyList;
    list.replaceChildren(...sessions.map((session) => {
      const d = L.describeSession(session);
      const li = document.createElement('li');
      li.dataset.outcome = session && session.outcome ? session.outcome : 'running';
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = d.startedAt ? formatWhen(d.startedAt) : '';
      const what = document.createElement('span');
      what.className = 'what';
      what.textContent = d.routine;
      const outcome = document.createElement('span');
      outcome.className = 'outcome';
      outcome.textContent = d.outcome;
      const exposure = document.createElement('span');
      exposure.className = 'exposure';
      exposure.textContent = d.exposure;
      li.append(when, what, outcome, exposure);
      return li;
    }));
    view.el.historyEmpty.hidden = sessions.length > 0;
  }

  function renderEvent(view) {
    const ev = view.lastEvent;
    const text = ev && typeof ev.message === 'string' && ev.message ? ev.message : '';
    view.el.lastEvent.hidden = !text;
    view.el.lastEventText.textContent = text ? `${text} (${ev.at ? formatWhen(ev.at) : ''})` : '';
  }

  function showResult(view, result) {
    const e = view.el.result;
    e.hidden = false;
    e.dataset.ok = result.pending ? 'pending' : String(!!result.ok);
    if (result.code) e.dataset.code = result.code;
    else delete e.dataset.code;
    e.replaceChildren();
    if (!result.pending && !result.ok) {
      const strong = document.createElement('strong');
      strong.textContent = 'Refused: ';
      e.append(strong);
    }
    e.append(document.createTextNode(result.text));
  }

  // An ISO time from padtimerd as the phone's local time: "14:20", or "Mon 14:20" when it is
  // not today. `roundUp` for a time not to be early for (next start), as padtimerd's messages.
  function formatWhen(iso, roundUp = false) {
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) return String(iso);
    if (roundUp && (t.getSeconds() > 0 || t.getMilliseconds() > 0)) {
      t.setSeconds(60, 0);
    }
    const time = t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const today = new Date();
    if (t.toDateString() === today.toDateString()) return time;
    return `${t.toLocaleDateString([], { weekday: 'short' })} ${time}`;
  }

  function renderAll() {
    ui.daemonOffline.hidden = app.daemonStatus !== 'offline';
    for (const view of app.zones.values()) render(view);
  }

  // The countdown ticks locally between states.
  setInterval(() => {
    const now = performance.now();
    for (const view of app.zones.values()) renderClock(view, now);
  }, 250);

  // ---- start ------------------------------------------------------------------------------

  if (!window.mqtt || typeof window.mqtt.connect !== 'function') {
    setConnection('error', 'MQTT.js did not load (vendor/mqtt.min.js)');
    return;
  }
  app.settings = loadSettings();
  connect();
})();
