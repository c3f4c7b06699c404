// Render a .bpmn file with bpmn-js in headless Chromium: prints the import warnings as JSON, saves a PNG.
//
//   node scripts/render_bpmn.mjs FILE.bpmn [OUT.png]
//
// OUT.png defaults to FILE.png next to the input. Exit status 1 when the import fails.
// A development aid for checking scripts/bpmn_layout.py by eye; not part of the test suite.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [input, output] = process.argv.slice(2);
if (!input) {
  console.error('usage: node scripts/render_bpmn.mjs FILE.bpmn [OUT.png]');
  process.exit(2);
}
const xml = readFileSync(input, 'utf-8');
const png = output ?? input.replace(/\.bpmn$/, '') + '.png';

const profile = mkdtempSync(join(tmpdir(), 'render-bpmn-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--headless',
  ],
  viewport: { width: 1600, height: 1000 },
});
let status = 0;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setContent(
    '<!doctype html><html><head><meta charset="utf-8"><style>' +
      'html,body{margin:0;height:100%;background:#fff} #canvas{width:100%;height:100%}' +
      '</style></head><body><div id="canvas"></div></body></html>',
  );
  await page.addStyleTag({ path: join(root, 'node_modules/bpmn-js/dist/assets/diagram-js.css') });
  await page.addStyleTag({ path: join(root, 'node_modules/bpmn-js/dist/assets/bpmn-js.css') });
  await page.addScriptTag({ path: join(root, 'node_modules/bpmn-js/dist/bpmn-viewer.development.js') });
  const result = await page.evaluate(async (text) => {
    // eslint-disable-next-line no-undef
    const viewer = new BpmnJS({ container: '#canvas' });
    window.viewer = viewer;
    try {
      const { warnings } = await viewer.importXML(text);
      const canvas = viewer.get('canvas');
      const box = canvas.viewbox().inner;
      return {
        ok: true,
        warnings: warnings.map((w) => w.message),
        size: { width: Math.ceil(box.width + box.x + 40), height: Math.ceil(box.height + box.y + 40) },
        elements: viewer.get('elementRegistry').getAll().length,
      };
    } catch (err) {
      return { ok: false, error: String(err), warnings: (err.warnings || []).map((w) => w.message) };
    }
  }, xml);
  if (result.ok) {
    // show the whole diagram at 1:1 (a larger viewport when needed), then screenshot
    const width = Math.min(Math.max(result.size.width, 800), 4000);
    const height = Math.min(Math.max(result.size.height, 400), 4000);
    await page.setViewportSize({ width, height });
    await page.evaluate(() => {
      const canvas = window.viewer.get('canvas');
      canvas.resized();
      canvas.viewbox({ x: 0, y: 0, width: window.innerWidth, height: window.innerHeight });
    });
    await page.screenshot({ path: png, fullPage: true });
  } else {
    status = 1;
  }
  console.log(JSON.stringify({ file: input, png: result.ok ? png : null, ...result }, null, 2));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
