#!/usr/bin/env node
// Renders the panel's PNG icons from src/icons/icon.svg with headless Chromium (the PNGs are
// committed; run this after changing the SVG). PNG because mosquitto's http_dir sends no
// Content-Type and browsers do not sniff SVG images.
//
//   node tools/make-icons.mjs [--chromium /usr/bin/chromium] [--node-modules DIR]
//
//   icon-192.png, icon-512.png    "any": rounded corners, transparent outside
//   icon-maskable-512.png         "maskable": full bleed (the drawing is inside the safe zone)
//   apple-touch-icon.png (180)    full bleed: iOS rounds the corners itself
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'node-modules': { type: 'string', default: path.join(web, 'node_modules') },
  },
});
const require = createRequire(path.join(path.resolve(values['node-modules']), 'noop.js'));
const { chromium } = require('playwright-core');

const icons = path.join(web, 'src', 'icons');
const svg = fs.readFileSync(path.join(icons, 'icon.svg'), 'utf8')
                .replace(/width="512" height="512"/, 'width="100%" height="100%"');
const outputs = [
  { file: 'icon-192.png', size: 192, rounded: true },
  { file: 'icon-512.png', size: 512, rounded: true },
  { file: 'icon-maskable-512.png', size: 512, rounded: false },
  { file: 'apple-touch-icon.png', size: 180, rounded: false },
];

const browser = await chromium.launch({
  executablePath: values.chromium,
  args: ['--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
  for (const { file, size, rounded } of outputs) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const radius = rounded ? Math.round(size * 0.22) : 0;
    await page.setContent(
        `<html><body style="margin:0;background:transparent">` +
        `<div style="width:${size}px;height:${size}px;border-radius:${radius}px;overflow:hidden">` +
        `${svg}</div></body></html>`);
    await page.screenshot({ path: path.join(icons, file), omitBackground: true });
    await page.close();
    console.log(`make-icons: ${path.join(icons, file)}`);
  }
} finally {
  await browser.close();
}
