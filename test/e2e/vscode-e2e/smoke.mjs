#!/usr/bin/env node
// smoke.mjs — end-to-end check of a VS Code extension in a REAL VS Code
// (code-server = VS Code server + web workbench) driven by Debian's chromium
// through playwright-core.  Everything stays on 127.0.0.1.
//
// Needs the folder made by setup.sh (default /tmp/vscode-e2e).  Run
// `node smoke.mjs --help` for the options.  Exit code 0 = every check passed.
//
// What it does, in order (each step optional except the first two):
//   1. starts code-server on a free loopback port with a fresh user-data-dir,
//      extensions-dir and config (nothing is written to $HOME);
//   2. opens the workspace in chromium, with the extension folder(s) loaded as
//      "extensionDevelopmentPath" (like F5 in VS Code) or .vsix files installed
//      into the fresh extensions-dir; waits until the extension has activated;
//   3. opens a file, waits for texts in the Problems panel;
//   4. starts a debug session (default or named launch config), waits for the
//      debug toolbar and texts in the Run and Debug view, stops it;
//   5. runs commands from the command palette, waits for texts;
//   6. or (--tests) runs an extension test module inside the extension host,
//      like @vscode/test-electron's extensionTestsPath, and takes its exit code;
//   7. takes PNG screenshots, measures time and memory, then stops chromium and
//      every process of code-server's tree, by PID.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { format, parseArgs } from 'node:util';

const HELP = `usage: node smoke.mjs --workspace DIR [options]

  --prefix DIR            folder made by setup.sh (default $VSCODE_E2E_PREFIX or /tmp/vscode-e2e)
  --workspace DIR         folder to open in VS Code (required)
  --extension PATH        extension folder (loaded as extensionDevelopmentPath, no
                          packaging needed) or a .vsix file (installed); repeatable,
                          but at most one folder (others as .vsix)
  --ext-id ID             extension id(s) whose activation to wait for (default:
                          publisher.name of every --extension); repeatable
  --no-wait-activation    do not wait for activation (e.g. lazy activation events)
  --open FILE             file to open at start (relative to the workspace)
  --expect-problem TEXT   wait for TEXT in the Problems panel; repeatable
  --debug                 start debugging with the selected launch config (F5)
  --debug-config NAME     start debugging with the launch config called NAME
  --expect-debug TEXT     after the debugger started, wait for TEXT in the
                          workbench (call stack, variables, debug console); repeatable
  --no-stop-debug         leave the debug session running
  --command TITLE         run a command by its palette title, e.g. "View: Toggle
                          Terminal"; repeatable, runs after the debug step
  --expect-text TEXT      after the commands, wait for TEXT anywhere; repeatable
  --tests FILE            extension test module (exports run(): Promise) to run in
                          the extension host; its exit code decides the result
                          (needs the extension as a folder)
  --tests-timeout SEC     how long the tests may take (default 600)
  --setting KEY=JSON      extra user setting (value parsed as JSON, else string); repeatable
  --env KEY=VALUE         extra environment for code-server and the extension host; repeatable
  --shots DIR             screenshot folder (default PREFIX/shots); numbered
                          NN-*.png files of an earlier run there are removed first
  --run-dir DIR           where user data, logs and profile go (default PREFIX/runs/<time>)
  --timeout SEC           timeout of each wait (default 90)
  --viewport WxH          browser size (default 1600x1000)
  --restricted            Workspace Trust on, and the workspace not trusted: it
                          opens in Restricted Mode (zds addition)
  --keep-run-dir          keep the browser profile in the run folder even when
                          everything passed (logs and summary.json are always kept)
  -h, --help              this text
`;

// ------------------------------------------------------------ arguments ----
const { values: opt } = parseArgs({
  options: {
    prefix: { type: 'string' },
    workspace: { type: 'string' },
    extension: { type: 'string', multiple: true, default: [] },
    'ext-id': { type: 'string', multiple: true, default: [] },
    'no-wait-activation': { type: 'boolean', default: false },
    restricted: { type: 'boolean', default: false },
    open: { type: 'string' },
    'expect-problem': { type: 'string', multiple: true, default: [] },
    debug: { type: 'boolean', default: false },
    'debug-config': { type: 'string' },
    'expect-debug': { type: 'string', multiple: true, default: [] },
    'no-stop-debug': { type: 'boolean', default: false },
    command: { type: 'string', multiple: true, default: [] },
    'expect-text': { type: 'string', multiple: true, default: [] },
    tests: { type: 'string' },
    'tests-timeout': { type: 'string', default: '600' },
    setting: { type: 'string', multiple: true, default: [] },
    env: { type: 'string', multiple: true, default: [] },
    shots: { type: 'string' },
    'run-dir': { type: 'string' },
    timeout: { type: 'string', default: '90' },
    viewport: { type: 'string', default: '1600x1000' },
    'keep-run-dir': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) { process.stdout.write(HELP); process.exit(0); }
if (!opt.workspace) { process.stderr.write(HELP); process.exit(2); }

const PREFIX = path.resolve(opt.prefix || process.env.VSCODE_E2E_PREFIX || '/tmp/vscode-e2e');
const manifestFile = path.join(PREFIX, 'vscode-e2e.json');
if (!fs.existsSync(manifestFile)) die(`${manifestFile} not found: run setup.sh ${PREFIX} first`);
const M = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
const { chromium } = createRequire(path.join(PREFIX, 'package.json'))('playwright-core');

const TIMEOUT = Number(opt.timeout) * 1000;
const [VW, VH] = opt.viewport.split('x').map(Number);
const WORKSPACE = path.resolve(opt.workspace);
if (!fs.statSync(WORKSPACE, { throwIfNoEntry: false })?.isDirectory()) die(`workspace ${WORKSPACE} is not a folder`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const RUN = path.resolve(opt['run-dir'] || path.join(PREFIX, 'runs', stamp));
const SHOTS = path.resolve(opt.shots || path.join(PREFIX, 'shots'));
for (const d of ['ud/User', 'ext', 'xdg/config', 'xdg/data', 'xdg/cache', 'chrome-profile', 'chrome-xdg']) fs.mkdirSync(path.join(RUN, d), { recursive: true });
fs.mkdirSync(SHOTS, { recursive: true });
// screenshots are numbered per run; drop the numbered ones of an earlier run
for (const f of fs.readdirSync(SHOTS)) if (/^\d\d-.*\.png$/.test(f)) fs.rmSync(path.join(SHOTS, f));

const T0 = Date.now();
const timings = {};
const checks = [];
const blocked = new Set();
const state = { cs: null, csExited: null, context: null, cleaning: false };

function die(msg) { process.stderr.write(`smoke: ${msg}\n`); process.exit(2); }
function log(msg) { process.stdout.write(`[smoke +${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function mark(name) { timings[name] = Date.now() - T0; }

async function check(name, fn) {
  const t = Date.now();
  try {
    const detail = await fn();
    checks.push({ name, ok: true, ms: Date.now() - t, detail });
    log(`PASS ${name} (${Date.now() - t} ms)${detail ? ` — ${detail}` : ''}`);
    return true;
  } catch (e) {
    checks.push({ name, ok: false, ms: Date.now() - t, error: String(e && e.message || e).split('\n')[0] });
    log(`FAIL ${name}: ${String(e && e.message || e).split('\n').slice(0, 3).join(' / ')}`);
    await shot(`FAIL-${name}`).catch(() => {});
    return false;
  }
}

// ----------------------------------------------------------- processes ----
function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), start: f[19] };
  } catch { return null; }
}
function allPids() { return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number); }
/** root and all its descendants (plus members of its process group), with start times. */
function processTree(root) {
  const stats = new Map();
  for (const p of allPids()) { const s = procStat(p); if (s) stats.set(p, s); }
  const out = new Map();
  const add = (p) => { if (!out.has(p) && stats.has(p)) out.set(p, stats.get(p).start); };
  add(root);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, s] of stats) if (!out.has(p) && (out.has(s.ppid) || s.pgrp === root)) { add(p); grew = true; }
  }
  return out;
}
function alive(pid, start) { const s = procStat(pid); return !!s && s.start === start && s.state !== 'Z'; }
function memory(pids) {
  let rss = 0, pss = 0;
  for (const p of pids) {
    try { rss += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] || 0); } catch {}
    try { pss += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] || 0); } catch {}
  }
  return { processes: pids.length, rssMiB: Math.round(rss / 1024), pssMiB: Math.round(pss / 1024) };
}
function chromiumPids() {
  const profile = path.join(RUN, 'chrome-profile');
  const mains = allPids().filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}`); } catch { return false; }
  });
  const set = new Set();
  for (const m of mains) for (const p of processTree(m).keys()) set.add(p);
  return [...set];
}

async function stopCodeServer() {
  const cs = state.cs;
  if (!cs || !cs.pid) return;
  const tree = processTree(cs.pid); // collected before anything dies (terminal shells start own sessions)
  if (state.csExited === null) { try { process.kill(cs.pid, 'SIGTERM'); } catch {} }
  const until = Date.now() + 5000;
  while (Date.now() < until && [...tree].some(([p, s]) => alive(p, s))) await sleep(100);
  const left = [...tree].filter(([p, s]) => alive(p, s));
  for (const [p] of left) { try { process.kill(p, 'SIGKILL'); } catch {} }
  if (left.length) log(`SIGKILLed ${left.length} leftover code-server process(es): ${left.map(([p]) => p).join(' ')}`);
  await sleep(200);
  const still = [...tree].filter(([p, s]) => alive(p, s)).map(([p]) => p);
  if (still.length) log(`WARNING: still alive: ${still.join(' ')}`);
}

async function cleanup() {
  if (state.cleaning) return;
  state.cleaning = true;
  if (state.context) { try { await state.context.close(); } catch {} }
  // chromium is playwright's child; make sure nothing of it outlives us
  for (const p of chromiumPids()) { try { process.kill(p, 'SIGKILL'); } catch {} }
  await stopCodeServer();
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => { log(`got ${sig}, cleaning up`); await cleanup(); process.exit(130); });
}

// ---------------------------------------------------------------- setup ----
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}
function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}
const csEnv = {
  ...process.env,
  // code-server writes config.yaml / logs under these, and nothing else in $HOME
  XDG_CONFIG_HOME: path.join(RUN, 'xdg/config'),
  XDG_DATA_HOME: path.join(RUN, 'xdg/data'),
  XDG_CACHE_HOME: path.join(RUN, 'xdg/cache'),
  // no extension gallery: no lookups of any marketplace host
  EXTENSIONS_GALLERY: '{}',
  // integrated-terminal shells would otherwise append to ~/.bash_history
  HISTFILE: path.join(RUN, 'shell_history'),
};
for (const kv of opt.env) { const i = kv.indexOf('='); if (i < 1) die(`--env ${kv}: want KEY=VALUE`); csEnv[kv.slice(0, i)] = kv.slice(i + 1); }
const CONFIG = path.join(RUN, 'config.yaml');
fs.writeFileSync(CONFIG, 'auth: none\ncert: false\n');
const csBaseArgs = [
  '--config', CONFIG, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
  ...(opt.restricted ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
  '--user-data-dir', path.join(RUN, 'ud'), '--extensions-dir', path.join(RUN, 'ext'),
];
// Newer VS Code builds (seen in 1.139, not in 1.100) honour the URL payload's
// extensionDevelopmentPath / extensionTestsPath only with the smoke-test driver
// enabled; newer code-server passes VS Code flags through with --vscode-option.
const csCli = fs.readFileSync(path.join(path.dirname(M.codeServerEntry), 'cli.js'), 'utf8');
const serverArgs = csCli.includes('"vscode-option"') ? ['--vscode-option', 'enable-smoke-test-driver'] : [];

const settings = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': opt.restricted,
  // --restricted: no trust prompt; an untrusted folder then opens in Restricted Mode
  'security.workspace.trust.startupPrompt': 'never',
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'git.autofetch': false,
  // DOM renderer: terminal text is then real text in the page (no GPU here anyway)
  'terminal.integrated.gpuAcceleration': 'off',
  'window.dialogStyle': 'custom',
  'debug.openDebug': 'openOnSessionStart',
  // newer VS Code opens a chat side bar and nags about AI features
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};
for (const kv of opt.setting) {
  const i = kv.indexOf('='); if (i < 1) die(`--setting ${kv}: want KEY=JSON`);
  const raw = kv.slice(i + 1); let v; try { v = JSON.parse(raw); } catch { v = raw; }
  settings[kv.slice(0, i)] = v;
}
fs.writeFileSync(path.join(RUN, 'ud/User/settings.json'), JSON.stringify(settings, null, 2));

// extensions: folders are development paths, .vsix files are installed now
const devPaths = [];
const extIds = [...opt['ext-id']];
for (const e of opt.extension) {
  const p = path.resolve(e);
  if (p.endsWith('.vsix')) {
    const before = new Set(fs.readdirSync(path.join(RUN, 'ext')));
    const r = spawnSync(M.node, [M.codeServerEntry, ...csBaseArgs, '--force', '--install-extension', p], { env: csEnv, encoding: 'utf8' });
    fs.appendFileSync(path.join(RUN, 'install-extension.log'), `${r.stdout}\n${r.stderr}\n`);
    const added = fs.readdirSync(path.join(RUN, 'ext')).filter((d) => !before.has(d) && !d.startsWith('.') && d !== 'extensions.json');
    if (r.status !== 0 || added.length === 0) die(`installing ${p} failed:\n${r.stdout}\n${r.stderr}`);
    for (const d of added) {
      const pj = JSON.parse(fs.readFileSync(path.join(RUN, 'ext', d, 'package.json'), 'utf8'));
      if (!opt['ext-id'].length) extIds.push(`${pj.publisher}.${pj.name}`);
    }
    log(`installed ${path.basename(p)} -> ${added.join(', ')}`);
  } else {
    const pj = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'));
    devPaths.push(p);
    if (!opt['ext-id'].length) extIds.push(`${pj.publisher}.${pj.name}`);
  }
}

// The web workbench keeps the URL payload in a Map: a second
// extensionDevelopmentPath would silently replace the first.
if (devPaths.length > 1) die(`only one --extension may be a folder (got ${devPaths.length}); pass the others as .vsix`);
if (opt.tests && !devPaths.length) die('--tests needs the extension as a folder (--extension DIR): VS Code runs tests only in an extension development host');

// ----------------------------------------------------------- workbench ----
async function shot(name) {
  if (!state.page) return;
  const file = path.join(SHOTS, `${String(shot.n = (shot.n || 0) + 1).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.png`);
  await state.page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** Run a command through the command palette (F1), choosing the row whose label is exactly TITLE. */
async function runCommand(page, title) {
  const widget = page.locator('.quick-input-widget');
  for (let i = 0; ; i++) {
    await page.keyboard.press('F1');
    try { await widget.waitFor({ state: 'visible', timeout: 5000 }); break; } catch (e) {
      if (i === 2) throw new Error('command palette did not open');
      await page.keyboard.press('Escape');
    }
  }
  await widget.locator('input').first().fill(`>${title}`);
  await pickRow(page, (label) => label === title || label.startsWith(`${title},`), `command "${title}"`);
}
/** Click the first row of the open quick pick whose aria-label satisfies pred. */
async function pickRow(page, pred, what) {
  const widget = page.locator('.quick-input-widget');
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  const until = Date.now() + Math.min(TIMEOUT, 20000);
  let labels = [];
  for (;;) {
    labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') || e.innerText || ''));
    const i = labels.findIndex(pred);
    if (i >= 0) { await rows.nth(i).click(); break; }
    if (Date.now() > until) { await page.keyboard.press('Escape'); throw new Error(`${what} not offered; saw: ${labels.slice(0, 8).join(' | ') || 'nothing'}`); }
    await sleep(200);
  }
}
async function waitText(scope, text, what) {
  await scope.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: TIMEOUT })
    .catch((e) => { throw new Error(`"${text}" not seen in ${what} within ${TIMEOUT / 1000}s`); });
}
function findLogs(re) {
  const out = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (re.test(e.name)) out.push(p); } };
  try { walk(path.join(RUN, 'ud/logs')); } catch {}
  return out;
}
async function waitActivation(id) {
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ok = new RegExp(`_doActivateExtension ${esc}[, ]`, 'i');
  const bad = new RegExp(`Activating extension '?${esc}'? failed`, 'i');
  const until = Date.now() + TIMEOUT;
  while (Date.now() < until) {
    for (const f of findLogs(/exthost\.log$/)) {
      const text = fs.readFileSync(f, 'utf8');
      if (bad.test(text)) throw new Error(`activation failed, see ${f}:\n${text.split('\n').filter((l) => /error/i.test(l)).slice(0, 5).join('\n')}`);
      if (ok.test(text)) return;
    }
    if (state.csExited !== null) throw new Error(`code-server exited (${state.csExited})`);
    await sleep(100);
  }
  throw new Error(`no activation of ${id} in the extension host log within ${TIMEOUT / 1000}s`);
}
const remoteUri = (authority, p) => `vscode-remote://${authority}${p.split('/').map(encodeURIComponent).join('/')}`;

// ----------------------------------------------------------------- main ----
let exitCode = 1;
let testsExit = null;
try {
  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  const base = `http://${authority}`;
  log(`VS Code ${M.vscodeVersion} (code-server ${M.codeServerVersion}) on ${base}, run folder ${RUN}`);
  const csLog = fs.openSync(path.join(RUN, 'code-server.log'), 'a');
  mark('codeServerSpawn');
  state.cs = spawn(M.node, [M.codeServerEntry, ...csBaseArgs, ...serverArgs, '--bind-addr', authority, WORKSPACE], {
    env: csEnv, cwd: RUN, detached: true, stdio: ['ignore', csLog, csLog],
  });
  state.cs.on('exit', (code, sig) => { state.csExited = sig || code; });
  fs.closeSync(csLog);

  await check('code-server listening', async () => {
    const until = Date.now() + TIMEOUT;
    while ((await httpStatus(`${base}/healthz`)) !== 200) {
      if (state.csExited !== null) throw new Error(`code-server exited (${state.csExited}); see ${RUN}/code-server.log`);
      if (Date.now() > until) throw new Error('no answer on /healthz');
      await sleep(100);
    }
    mark('codeServerListening');
    return `pid ${state.cs.pid}, port ${port}`;
  }) || (() => { throw new Error('code-server did not start'); })();

  state.context = await chromium.launchPersistentContext(path.join(RUN, 'chrome-profile'), {
    executablePath: M.chromium,
    headless: true,
    viewport: { width: VW, height: VH },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(RUN, 'chrome-xdg'), XDG_CACHE_HOME: path.join(RUN, 'chrome-xdg') },
  });
  mark('browserLaunched');
  // only loopback: everything else (marketplace, CDNs, ...) is refused in the browser
  await state.context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || ['data:', 'blob:'].includes(u.protocol)) return route.continue();
    blocked.add(u.origin + u.pathname); return route.abort();
  });
  const page = state.page = state.context.pages()[0] || await state.context.newPage();
  const consoleLog = fs.createWriteStream(path.join(RUN, 'browser-console.log'));
  let printChain = Promise.resolve();
  page.on('console', (m) => {
    consoleLog.write(`[${m.type()}] ${m.text()}\n`);
    // in --tests mode show what the tests print (console.* of the extension host
    // arrives here as "%c INFO color: #33f <text>"), minus the workbench's own noise
    // (printf-style arguments, as mocha's reporter uses, are formatted here)
    if (opt.tests) {
      printChain = printChain.then(async () => {
        let vals = await Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')));
        if (typeof vals[0] === 'string' && /^%c\s*\w+/.test(vals[0]) && /^color:/.test(String(vals[1]))) vals = vals.slice(2);
        const t = vals.length ? format(...vals) : m.text();
        if (!/Failed to load resource|web worker extension host|allow-scripts and allow-same-origin|Overwriting extension <<|additional builtin extensions/.test(t)) process.stdout.write(`[vscode ${m.type()}] ${t}\n`);
      });
    }
  });
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  page.on('response', (r) => { if (r.status() >= 400) consoleLog.write(`[http ${r.status()}] ${r.url()}\n`); });

  let automationExit;
  if (opt.tests) {
    automationExit = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
  }
  const payload = devPaths.map((p) => ['extensionDevelopmentPath', remoteUri(authority, p)]);
  if (opt.open) payload.push(['openFile', remoteUri(authority, path.resolve(WORKSPACE, opt.open))]);
  if (opt.tests) payload.push(['extensionTestsPath', remoteUri(authority, path.resolve(opt.tests))]);
  const url = `${base}/?folder=${encodeURIComponent(WORKSPACE)}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
  fs.writeFileSync(path.join(RUN, 'url.txt'), `${url}\n`);
  await page.goto(url);

  await check('workbench loaded', async () => {
    await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT });
    await page.locator('.part.statusbar').waitFor({ timeout: TIMEOUT });
    mark('workbench');
  });

  if (opt.tests) {
    await check('extension tests', async () => {
      const csGone = new Promise((resolve) => state.cs.once('exit', () => resolve('code-server exited')));
      const code = await Promise.race([automationExit, csGone, sleep(Number(opt['tests-timeout']) * 1000).then(() => 'timeout')]);
      testsExit = code;
      mark('testsDone');
      if (code !== 0) throw new Error(`tests ended with ${code}`);
      return 'exit code 0';
    });
  } else {
    if (!opt['no-wait-activation']) {
      for (const id of extIds) {
        await check(`activated ${id}`, async () => { await waitActivation(id); mark(`activated ${id}`); });
      }
    }
    await sleep(500);
    await shot('workbench');

    if (opt.open) {
      await check(`opened ${opt.open}`, async () => {
        await waitText(page.locator('.part.editor .tabs-container'), path.basename(opt.open), 'the editor tabs');
        await page.locator('.part.editor .monaco-editor .view-lines').first().waitFor({ timeout: TIMEOUT });
      });
    }

    if (opt['expect-problem'].length) {
      await check('problems panel', async () => {
        await runCommand(page, 'Problems: Focus on Problems View');
        const panel = page.locator('.markers-panel');
        await panel.first().waitFor({ state: 'visible', timeout: TIMEOUT });
        for (const t of opt['expect-problem']) await waitText(panel, t, 'the Problems panel');
        mark('problems');
        return opt['expect-problem'].map((t) => `"${t}"`).join(', ');
      });
      await shot('problems');
    }

    if (opt.debug || opt['debug-config']) {
      const ok = await check('debug session started', async () => {
        if (opt['debug-config']) {
          await runCommand(page, 'Debug: Select and Start Debugging');
          await pickRow(page, (l) => l === opt['debug-config'] || l.startsWith(`${opt['debug-config']},`) || l.startsWith(`${opt['debug-config']} `), `launch config "${opt['debug-config']}"`);
        } else {
          await runCommand(page, 'Debug: Start Debugging');
        }
        await page.locator('.debug-toolbar').first().waitFor({ state: 'visible', timeout: TIMEOUT });
        mark('debugToolbar');
        if (opt['expect-debug'].length) {
          // the Run and Debug view does not always open by itself (1.139 kept the Explorer)
          const first = page.locator('.monaco-workbench').getByText(opt['expect-debug'][0]).first();
          if (!(await first.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false))) {
            await runCommand(page, 'Run and Debug: Focus on Call Stack View').catch((e) => log(`note: ${e.message}`));
          }
        }
        for (const t of opt['expect-debug']) await waitText(page.locator('.monaco-workbench'), t, 'the workbench while debugging');
        return opt['expect-debug'].map((t) => `"${t}"`).join(', ');
      });
      await sleep(500);
      await shot('debug');
      if (ok && !opt['no-stop-debug']) {
        await check('debug session stopped', async () => {
          await runCommand(page, 'Debug: Stop');
          await page.locator('.debug-toolbar').first().waitFor({ state: 'hidden', timeout: TIMEOUT });
        });
      }
    }

    for (const c of opt.command) {
      await check(`command "${c}"`, async () => { await runCommand(page, c); await sleep(1000); });
      await shot(`command-${c}`);
    }
    for (const t of opt['expect-text']) {
      await check(`text "${t}"`, async () => { await waitText(page.locator('.monaco-workbench'), t, 'the workbench'); });
    }
    if (opt['expect-text'].length) await shot('final');
  }

  const mem = {
    codeServer: memory([...processTree(state.cs.pid).keys()]),
    chromium: memory(chromiumPids()),
  };
  log(`memory: code-server tree ${mem.codeServer.rssMiB} MiB RSS / ${mem.codeServer.pssMiB} MiB PSS in ${mem.codeServer.processes} processes; ` +
      `chromium ${mem.chromium.rssMiB} MiB RSS / ${mem.chromium.pssMiB} MiB PSS in ${mem.chromium.processes} processes`);
  timings.memory = mem;
  exitCode = checks.every((c) => c.ok) ? 0 : 1;
} catch (e) {
  log(`ERROR ${e && e.stack || e}`);
  await shot('error').catch(() => {});
  exitCode = 1;
} finally {
  await cleanup();
}

const { memory: mem, ...ms } = timings;
const summary = {
  ok: exitCode === 0, vscode: M.vscodeVersion, codeServer: M.codeServerVersion, chromium: M.chromiumVersion,
  runDir: RUN, shots: SHOTS, timingsMs: ms, memory: mem, testsExit, checks,
  blockedNonLoopbackRequests: [...blocked],
};
fs.writeFileSync(path.join(RUN, 'summary.json'), JSON.stringify(summary, null, 2));
log(`timings (ms since start): ${Object.entries(ms).map(([k, v]) => `${k}=${v}`).join(' ')}`);
if (blocked.size) log(`blocked non-loopback requests from the page: ${[...blocked].join(' ')}`);
log(`summary: ${path.join(RUN, 'summary.json')}`);
// the browser profile is the bulk of the run folder; logs and summary stay
if (exitCode === 0 && !opt['keep-run-dir']) for (const d of ['chrome-profile', 'chrome-xdg', 'xdg/cache']) fs.rmSync(path.join(RUN, d), { recursive: true, force: true });
const failed = checks.filter((c) => !c.ok).length;
process.stdout.write(`smoke: ${checks.length - failed} passed, ${failed} failed\n`);
process.exit(exitCode);
