/**
 * Markdown rendering cost in the browser (method and figures: bench/RESULTS.md, ui-markdown
 * section). A ~20 KB markdown answer (headings, paragraphs, lists, tables, code in several
 * languages) is streamed at 50 tokens/s into one answer in Debian's Chromium, drawn as plain text
 * (the page before markdown) and through services/web/ui/chat/markdown.ts, side by side in one
 * run, alternating which goes first. Per arm: the renderer main thread's CPU time (the DevTools
 * Protocol's Performance.getMetrics TaskDuration in thread ticks, with its script, layout and
 * style parts) and its longest tasks (a Chromium trace's RunTask events, CPU and wall time).
 * Targets (issue 19): markdown ≤ 2× plain main-thread time, and no task over 50 ms.
 *
 *   npm run bench:ui  (= node --conditions=source --import tsx bench/ui-markdown.ts)  # full run (~8 min), writes the section into bench/RESULTS.md
 *   node --conditions=source --import tsx bench/ui-markdown.ts --quick    # 2 KB, one round, writes to the temp dir
 *   … --rounds N (default 2) · --out FILE
 *
 * Benchmarks measure: no figure here fails the process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { busyProcesses, machineLines, table } from './lib/report.js';
import { median } from './lib/stats.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i !== -1 ? argv[i + 1] : undefined;
};
const rounds = Number(arg('--rounds') ?? (quick ? 1 : 2));
const outFile = arg('--out') ? resolve(arg('--out') as string) : quick ? join(os.tmpdir(), 'samosachaat-bench-ui-markdown-quick.md') : join(benchDir, 'RESULTS.md');
const TARGET_BYTES = quick ? 2 * 1024 : 20 * 1024;
const TOKENS_PER_SECOND = 50;
const LONG_TASK_MS = 50;
const START = '<!-- ui-markdown:start -->';
const END = '<!-- ui-markdown:end -->';

type Kind = 'plain' | 'markdown';
interface ArmRun {
  kind: Kind;
  round: number;
  /** Main-thread CPU time (thread ticks) over the whole stream, and its parts. */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  /** Main-thread tasks (the trace's RunTask) over 50 ms of CPU time, and over 50 ms of wall time. */
  longCpu: number[];
  longWall: number[];
  /** The longest task, CPU and wall ms. */
  maxCpu: number;
  maxWall: number;
  tasks: number;
  wallMs: number;
  textLength: number;
}

/** A deterministic markdown answer of at least `bytes` characters, as a model writes them. */
export function markdownAnswer(bytes: number): string {
  const parts: string[] = [];
  const langs = [
    ['python', 'def {n}(items):\n    """Return the {a} items, sorted."""\n    result = [x for x in items if x.{a}]\n    return sorted(result, key=lambda x: x.weight)\n'],
    ['typescript', 'export function {n}(items: Item[]): Item[] {\n  // keep the {a} ones\n  const kept = items.filter((x) => x.{a});\n  return kept.sort((a, b) => a.weight - b.weight);\n}\n'],
    ['bash', 'for f in ./{n}/*.txt; do\n  grep -c "{a}" "$f" || echo "none in $f"\ndone\n'],
    ['json', '{\n  "name": "{n}",\n  "{a}": true,\n  "weights": [1, 2, 3]\n}\n'],
  ] as const;
  const words = ['tamarind', 'chutney', 'samosa', 'cumin', 'jaggery', 'coriander', 'chilli', 'yoghurt', 'potato', 'masala'];
  for (let i = 0; parts.join('\n\n').length < bytes; i++) {
    const w = (k: number) => words[(i * 7 + k) % words.length] as string;
    parts.push(`## ${i + 1}. Working with ${w(0)} and ${w(1)}`);
    parts.push(`To prepare the **${w(2)}**, start with \`${w(3)}\` and a little ${w(4)}. The _order_ matters: the ${w(5)} goes in last, after the ${w(6)} has softened. See [the notes](https://example.com/${w(7)}) for the long version.`);
    parts.push(`- ${w(1)}: about ${i + 2} g\n- ${w(2)}: a pinch\n- ${w(3)}, toasted and ground\n  - optional: ${w(8)}`);
    const [lang, code] = langs[i % langs.length] as readonly [string, string];
    parts.push(`\`\`\`${lang}\n${code.replaceAll('{n}', `${w(9)}_${i}`).replaceAll('{a}', w(0))}\`\`\``);
    parts.push(`| step | ${w(0)} | minutes |\n|---|---|---:|\n| soak | yes | ${10 + i} |\n| simmer | ${w(4)} | ${5 + (i % 7)} |\n| rest | — | 2 |`);
    parts.push(`1. Mix the ${w(5)}.\n2. Taste, then add ${w(6)}.\n3. Serve with ${w(7)}.`);
  }
  return parts.join('\n\n');
}

/** Splits text into model-like tokens: a word with its leading space, or a run of punctuation. */
export function tokenize(text: string): string[] {
  return text.match(/\s*[A-Za-z0-9]{1,8}|\s*[^\sA-Za-z0-9]{1,3}|\s+/g) ?? [];
}

function chromiumPath(): string {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('bench/ui-markdown.ts needs Chromium (Debian: apt-get install chromium)');
  }
}

async function pageBundle(): Promise<string> {
  const result = await build({ entryPoints: [join(repoRoot, 'services/web/ui/bench/markdown-page.ts')], bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}
type TraceFile = { traceEvents: TraceEvent[] } | TraceEvent[];

/** The renderer main thread's tasks (RunTask) of a trace: wall and CPU ms each. */
function mainThreadTasks(trace: TraceFile): Array<{ wallMs: number; cpuMs: number }> {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, Array<{ wallMs: number; cpuMs: number }>>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || e.name !== 'RunTask' || !mains.has(key)) continue;
    const list = byThread.get(key) ?? [];
    list.push({ wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? e.dur ?? 0) / 1000 });
    byThread.set(key, list);
  }
  // The page's renderer is the busiest main thread of the trace.
  return [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

type BenchGlobal = { benchStream(kind: Kind, tokens: string[], tokensPerSecond: number): Promise<{ wallMs: number; textLength: number }> };

async function runArm(browser: Browser, kind: Kind, round: number, tokens: string[], js: string, css: string): Promise<ArmRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  try {
    await page.setContent('<!doctype html><html lang="en"><head><title>bench</title></head><body class="chat-page"><div id="messages-scroller" class="messages-scroller" style="height: 700px"><ol id="messages" class="messages"></ol></div></body></html>');
    await page.addStyleTag({ content: css });
    await page.addScriptTag({ content: js, type: 'module' });
    await page.waitForFunction('typeof window.benchStream === "function"');
    const cdp = await context.newCDPSession(page);
    // Thread ticks: the main thread's own CPU time, not the time it waited for a core of a busy machine.
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const metrics = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
    await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
    const before = await metrics();
    const result = await page.evaluate(([k, t, tps]) => (globalThis as unknown as BenchGlobal).benchStream(k as Kind, t as string[], tps as number), [kind, tokens, TOKENS_PER_SECOND] as const);
    const after = await metrics();
    const tasks = mainThreadTasks(JSON.parse((await browser.stopTracing()).toString('utf8')) as TraceFile);
    const delta = (name: string) => ((after[name] ?? 0) - (before[name] ?? 0)) * 1000;
    return {
      kind,
      round,
      taskMs: delta('TaskDuration'),
      scriptMs: delta('ScriptDuration'),
      layoutMs: delta('LayoutDuration'),
      styleMs: delta('RecalcStyleDuration'),
      longCpu: tasks.filter((t) => t.cpuMs > LONG_TASK_MS).map((t) => t.cpuMs),
      longWall: tasks.filter((t) => t.wallMs > LONG_TASK_MS).map((t) => t.wallMs),
      maxCpu: Math.max(0, ...tasks.map((t) => t.cpuMs)),
      maxWall: Math.max(0, ...tasks.map((t) => t.wallMs)),
      tasks: tasks.length,
      wallMs: result.wallMs,
      textLength: result.textLength,
    };
  } finally {
    await context.close();
  }
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function render(runs: ArmRun[], meta: { startedAt: string; finishedAt: string; bytes: number; tokens: number; loadStart: number[]; loadEnd: number[]; busy: string[] }): string {
  const of = (kind: Kind) => runs.filter((r) => r.kind === kind);
  const med = (kind: Kind, pick: (r: ArmRun) => number) => median(of(kind).map(pick));
  const ratio = med('markdown', (r) => r.taskMs) / med('plain', (r) => r.taskMs);
  const longCpu = (kind: Kind) => of(kind).flatMap((r) => r.longCpu);
  const longWall = (kind: Kind) => of(kind).flatMap((r) => r.longWall);
  const maxOf = (kind: Kind, pick: (r: ArmRun) => number) => Math.max(...of(kind).map(pick));
  const verdict = (ok: boolean) => (ok ? '**PASS**' : '**FAIL**');
  const summary = (['plain', 'markdown'] as const).map((kind) => [
    kind === 'plain' ? 'plain text (text node per token)' : 'markdown (chat/markdown.ts)',
    fmt(med(kind, (r) => r.taskMs)),
    fmt(med(kind, (r) => r.scriptMs)),
    fmt(med(kind, (r) => r.layoutMs + r.styleMs)),
    `${longCpu(kind).length} (longest ${fmt(maxOf(kind, (r) => r.maxCpu))} ms)`,
    `${longWall(kind).length} (longest ${fmt(maxOf(kind, (r) => r.maxWall))} ms)`,
    fmt(med(kind, (r) => r.wallMs) / 1000),
  ]);
  const raw = runs.map((r) => [String(r.round), r.kind, fmt(r.taskMs), fmt(r.scriptMs), fmt(r.layoutMs), fmt(r.styleMs), String(r.tasks), `${r.longCpu.length} (longest ${fmt(r.maxCpu)})`, `${r.longWall.length} (longest ${fmt(r.maxWall)})`, fmt(r.wallMs / 1000), String(r.textLength)]);
  return `${START}
# UI benchmark: markdown answers while they stream (Chromium)

Run ${meta.startedAt} → ${meta.finishedAt} with \`node --conditions=source --import tsx bench/ui-markdown.ts${quick ? ' --quick' : ''}\` (${rounds} round${rounds === 1 ? '' : 's'}, arms alternating). Load average ${meta.loadStart.map((x) => x.toFixed(2)).join(' / ')} at start, ${meta.loadEnd.map((x) => x.toFixed(2)).join(' / ')} at the end.${meta.busy.length ? ` Other busy processes during the run (they share the two cores: wall-time figures include waiting for a core): ${meta.busy.join('; ')}.` : ''} Chromium: ${chromiumPath()} (headless).

${machineLines().join('\n')}

## Verdict

${table(['measurement', 'result', 'target', 'verdict'], [
    ['main-thread CPU time, markdown / plain text (median per arm)', `${ratio.toFixed(2)}×`, '≤ 2×', verdict(ratio <= 2)],
    ['tasks over 50 ms of main-thread CPU while a markdown answer streams', `${longCpu('markdown').length} (longest ${fmt(maxOf('markdown', (r) => r.maxCpu))} ms)`, '0', verdict(longCpu('markdown').length === 0)],
    ['tasks over 50 ms of wall time, markdown (plain text for reference)', `${longWall('markdown').length} (${longWall('plain').length})`, '— (load)', '—'],
  ])}

## Per arm (medians over rounds; ms of main-thread time for the whole answer)

The answer: ${meta.bytes.toLocaleString('en')} characters of markdown (${meta.tokens.toLocaleString('en')} tokens; headings, paragraphs with emphasis, inline code and links, nested lists, tables and fenced code in Python, TypeScript, Bash and JSON), streamed at ${TOKENS_PER_SECOND} tokens/s by a timer in the page, each token followed by the thread's scroll-to-end.

${table(['arm', 'main-thread CPU', 'script', 'layout + style', 'tasks over 50 ms CPU', 'tasks over 50 ms wall', 'wall s'], summary)}

## Method

Each arm runs in a fresh browser context of one headless Chromium, on a page with the chat page's stylesheet (\`services/web/ui/styles.css\`) and a bundle of \`services/web/ui/bench/markdown-page.ts\`: "plain text" sets the whole text as one text node per token (what the page did before markdown); "markdown" feeds \`MarkdownView\` (drawn at most once per animation frame; only the last, unsettled block is re-parsed — blocks that can no longer change are rendered once). Main-thread time is the difference of Chromium's \`TaskDuration\` (and \`ScriptDuration\`, \`LayoutDuration\`, \`RecalcStyleDuration\`) from the DevTools Protocol's \`Performance.getMetrics\` in thread ticks (CPU time of the renderer's main thread) before and after the stream. Tasks are the \`RunTask\` events of the renderer main thread in a Chromium trace of the stream: \`tdur\` (CPU) and \`dur\` (wall). The machine is shared (2 cores), so the target "no task over 50 ms" is judged on CPU time; wall time is given beside it. The ratio is median(markdown) ÷ median(plain) over the rounds.

## Raw runs (run order)

${table(['round', 'arm', 'CPU ms', 'script ms', 'layout ms', 'style ms', 'tasks', 'over 50 ms CPU: count (longest ms)', 'over 50 ms wall: count (longest ms)', 'wall s', 'text length'], raw)}
${END}`;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  const text = markdownAnswer(TARGET_BYTES);
  const tokens = tokenize(text);
  if (tokens.join('') !== text) throw new Error('tokenize lost characters');
  console.log(`ui-markdown: ${text.length} characters, ${tokens.length} tokens at ${TOKENS_PER_SECOND}/s ≈ ${(tokens.length / TOKENS_PER_SECOND).toFixed(0)} s per arm, ${rounds} round(s)`);
  const [js, css] = [await pageBundle(), readFileSync(join(repoRoot, 'services/web/ui/styles.css'), 'utf8')];
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'] });
  const runs: ArmRun[] = [];
  const busy = new Set<string>(busyProcesses());
  try {
    for (let round = 1; round <= rounds; round++) {
      const order: Kind[] = round % 2 === 1 ? ['plain', 'markdown'] : ['markdown', 'plain'];
      for (const kind of order) {
        const run = await runArm(browser, kind, round, tokens, js, css);
        runs.push(run);
        console.log(`round ${round} ${kind}: main thread ${fmt(run.taskMs)} ms CPU (script ${fmt(run.scriptMs)}, layout ${fmt(run.layoutMs)}, style ${fmt(run.styleMs)}), ${run.tasks} tasks, longest ${fmt(run.maxCpu)} ms CPU / ${fmt(run.maxWall)} ms wall, over 50 ms: ${run.longCpu.length} CPU / ${run.longWall.length} wall, ${fmt(run.wallMs / 1000)} s`);
      }
    }
  } finally {
    await browser.close();
  }
  for (const b of busyProcesses()) busy.add(b);
  const section = render(runs, { startedAt, finishedAt: new Date().toISOString(), bytes: text.length, tokens: tokens.length, loadStart, loadEnd: os.loadavg(), busy: [...busy] });
  let next = `${section}\n`;
  if (existsSync(outFile)) {
    const previous = readFileSync(outFile, 'utf8');
    const from = previous.indexOf(START);
    const to = previous.indexOf(END);
    next = from !== -1 && to > from ? previous.slice(0, from) + section + previous.slice(to + END.length) : `${previous}${previous.endsWith('\n') ? '' : '\n'}\n${section}\n`;
  }
  writeFileSync(outFile, next);
  console.log(`ui-markdown: section written to ${outFile}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
