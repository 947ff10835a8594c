'use strict';
/**
 * What every benchmark server shares, written as CommonJS so the ESM/TypeScript servers and
 * the auto-instrumented `assembled.cjs` run byte-for-byte the same routes and workload.
 *
 * - `/hello` answers `{ hello: 'world' }`.
 * - `/json` does `repeat` × (JSON.parse + JSON.stringify) of a generated chat-like payload;
 *   the parent calibrates `repeat` once so one call takes ~85 µs and passes it to every arm.
 *
 * The parent process talks to a server over the IPC channel only: the server sends
 * `{ type: 'ready', port, workUs }` once listening, or `{ type: 'error', message }`.
 */

/** A deterministic, chat-shaped JSON document (~0.6 KB with the default 2 messages). */
function makePayload(items = 2) {
  const messages = [];
  for (let i = 0; i < items; i++) {
    messages.push({
      id: `msg-${i}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `${'the quick brown fox jumps over the lazy dog '.repeat(2)}#${i}`,
      tokens: 17 * i + 3,
      tags: ['alpha', 'beta', 'gamma'],
      meta: { model: 'samosa-7b', temperature: 0.7, top_p: 0.95, created_at: '2025-01-01T00:00:00.000Z' },
    });
  }
  return JSON.stringify({ conversation_id: 'c-1', user_id: 'u-1', messages });
}

const PAYLOAD = makePayload();

/** Size in bytes of the document the `/json` route parses and serialises. */
const PAYLOAD_BYTES = Buffer.byteLength(PAYLOAD);

/** Runs the JSON workload `repeat` times; returns the bytes produced (keeps the work observable). */
function jsonWork(repeat) {
  let bytes = 0;
  for (let i = 0; i < repeat; i++) bytes += JSON.stringify(JSON.parse(PAYLOAD)).length;
  return bytes;
}

function medianOf(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median wall time of one `jsonWork(repeat)` call in µs, after a warm-up. */
function measureWorkUs(repeat, calls = 400) {
  for (let i = 0; i < 100; i++) jsonWork(repeat);
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    jsonWork(repeat);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return medianOf(samples);
}

/**
 * Chooses `repeat` so that one `jsonWork(repeat)` call takes about `targetUs` (median) on this
 * machine: estimate from the single-unit cost, then correct once with a full-size measurement.
 */
function calibrateRepeat(targetUs = 85) {
  const unitUs = measureWorkUs(1, 2000);
  let repeat = Math.max(1, Math.round(targetUs / unitUs));
  const measured = measureWorkUs(repeat, 400);
  repeat = Math.max(1, Math.round((repeat * targetUs) / measured));
  return { repeat, unitUs, perCallUs: measureWorkUs(repeat, 400) };
}

/** Registers `/hello` and `/json` (async handlers, the usual style in services). */
function registerRoutes(app, repeat) {
  app.get('/hello', async () => ({ hello: 'world' }));
  app.get('/json', async () => ({ repeat, bytes: jsonWork(repeat) }));
}

/** Repeat count handed down by the parent (BENCH_JSON_REPEAT). */
function repeatFromEnv(env = process.env) {
  const n = Number(env.BENCH_JSON_REPEAT);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_JSON_REPEAT must be a positive integer, got "${env.BENCH_JSON_REPEAT}"`);
  return n;
}

/**
 * Ties the server's life to the parent: exits when the IPC channel closes (parent gone) and on
 * SIGTERM/SIGINT through process.exit, and answers the parent's profiling commands.
 */
function bindToParent() {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  process.on('message', onProfileCommand);
}

let profilerSession;

/**
 * tsx serves whitespace-minified code (every function on line 1); when the server runs with
 * `--enable-source-maps`, rewrite each frame's line/column to the original source.
 */
function mapToOriginalPositions(profile) {
  const { findSourceMap } = require('node:module');
  const { fileURLToPath } = require('node:url');
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (!frame.url || !frame.url.startsWith('file:')) continue;
    let map;
    try {
      map = findSourceMap(frame.url) || findSourceMap(fileURLToPath(frame.url));
    } catch {
      map = undefined;
    }
    const entry = map && map.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && typeof entry.originalLine === 'number') {
      frame.lineNumber = entry.originalLine;
      frame.columnNumber = entry.originalColumn;
    }
  }
}

/**
 * CPU profiling on demand, for bench/profile.ts: `{ type: 'profile-start' }` starts the V8
 * sampling profiler through an in-process inspector session; `{ type: 'profile-stop', path }`
 * stops it and writes the `.cpuprofile` JSON to `path`. Each answers `{ type: '<type>:done' }`
 * (with `error` on failure). Nothing happens unless the parent asks, so measurements are
 * unaffected.
 */
function onProfileCommand(msg) {
  if (!msg || (msg.type !== 'profile-start' && msg.type !== 'profile-stop')) return;
  const done = (error) => process.send && process.send({ type: `${msg.type}:done`, error: error ? String(error.message || error) : undefined });
  if (msg.type === 'profile-start') {
    const inspector = require('node:inspector');
    profilerSession = new inspector.Session();
    profilerSession.connect();
    profilerSession.post('Profiler.enable', (err) => {
      if (err) return done(err);
      profilerSession.post('Profiler.setSamplingInterval', { interval: 250 }, () => profilerSession.post('Profiler.start', (e) => done(e)));
    });
    return;
  }
  if (!profilerSession) return done(new Error('profiler not started'));
  profilerSession.post('Profiler.stop', (err, result) => {
    if (err) return done(err);
    try {
      mapToOriginalPositions(result.profile);
      require('node:fs').writeFileSync(msg.path, JSON.stringify(result.profile));
      done();
    } catch (e) {
      done(e);
    }
  });
}

/** Tells the parent the server listens on `port`, with the measured per-call µs of `/json`. */
/** Listens on an ephemeral loopback port, then tells the parent it is ready. */
async function listenAndAnnounce(app, repeat) {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  announceReady(address.port, repeat);
}

function announceReady(port, repeat) {
  const workUs = measureWorkUs(repeat, 300);
  if (process.send) process.send({ type: 'ready', port, workUs });
}

/** Reports a start-up failure over IPC (stderr goes to /dev/null) and exits. */
function announceFailure(err) {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
  else process.exit(1);
}

exports.makePayload = makePayload;
exports.PAYLOAD_BYTES = PAYLOAD_BYTES;
exports.jsonWork = jsonWork;
exports.measureWorkUs = measureWorkUs;
exports.calibrateRepeat = calibrateRepeat;
exports.registerRoutes = registerRoutes;
exports.repeatFromEnv = repeatFromEnv;
exports.bindToParent = bindToParent;
exports.announceReady = announceReady;
exports.listenAndAnnounce = listenAndAnnounce;
exports.announceFailure = announceFailure;
