#!/usr/bin/env node
// Builds the web panel: copies the page (src/) and MQTT.js's prebuilt browser bundle from
// node_modules into one directory that any static file server — mosquitto's http_dir
// included — can serve as it is. No bundler: the page is plain files.
//
//   node build.mjs --out DIR --node-modules DIR
//
// DIR is replaced as a whole (built next to it, then renamed), so files removed from src/
// disappear; it must be a directory this script made (it holds .padtimer-web) or absent.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'node-modules': { type: 'string', default: path.join(here, 'node_modules') },
  },
});
if (!values.out) {
  console.error('usage: node build.mjs --out DIR [--node-modules DIR]');
  process.exit(2);
}

const src = path.join(here, 'src');
const out = path.resolve(values.out);
const modules = path.resolve(values['node-modules']);
const MARKER = '.padtimer-web';

// The page: every file of src/ but the icon sources that are not served.
const pageFiles = [
  'index.html',
  'app.js',
  'logic.js',
  'style.css',
  'manifest.webmanifest',
  'icons/icon.svg',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/icon-maskable-512.png',
  'icons/apple-touch-icon.png',
];
// MQTT.js: its self-contained browser build (defines the global `mqtt`) and its licence.
const mqttPackage = path.join(modules, 'mqtt');
const vendorFiles = [
  [path.join(mqttPackage, 'dist', 'mqtt.min.js'), 'vendor/mqtt.min.js'],
  [path.join(mqttPackage, 'LICENSE.md'), 'vendor/mqtt.LICENSE.md'],
];

function fail(message) {
  console.error(`web build: ${message}`);
  process.exit(1);
}

// An empty directory is fine: Ninja makes the output's directory before running this.
if (fs.existsSync(out) && !fs.existsSync(path.join(out, MARKER)) &&
    fs.readdirSync(out).length > 0) {
  fail(`${out} exists and was not made by this script (no ${MARKER}): not replacing it`);
}
if (src.startsWith(out + path.sep) || src === out) fail(`--out ${out} contains the sources`);

const staging = `${out}.tmp-${process.pid}`;
fs.rmSync(staging, { recursive: true, force: true });
try {
  const copy = (from, to) => {
    if (!fs.existsSync(from)) fail(`missing ${from}${from.startsWith(modules) ? ' (run npm ci)' : ''}`);
    fs.mkdirSync(path.dirname(path.join(staging, to)), { recursive: true });
    fs.copyFileSync(from, path.join(staging, to));
  };
  for (const file of pageFiles) copy(path.join(src, file), file);
  for (const [from, to] of vendorFiles) copy(from, to);

  const mqttVersion = JSON.parse(fs.readFileSync(path.join(mqttPackage, 'package.json'), 'utf8')).version;
  fs.writeFileSync(path.join(staging, MARKER),
                   `padtimer web panel, built by web/build.mjs with MQTT.js ${mqttVersion}\n`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(staging, out);
  console.log(`web build: ${pageFiles.length + vendorFiles.length} files in ${out} (MQTT.js ${mqttVersion})`);
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
