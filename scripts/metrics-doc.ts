/**
 * Regenerates the metric tables in docs/metrics.md from the code (`--write`), or checks that
 * they match (`--check`, the default; exits 1 with a diff hint when they drift).
 * Each table sits between `<!-- metrics:<section>:start -->` and `<!-- metrics:<section>:end -->`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAuthMetrics } from '@samosachaat/auth';
import { createChatMetrics } from '@samosachaat/chat-api';
import { createDatabaseMetrics } from '@samosachaat/db';
import { createInferenceMetrics } from '@samosachaat/inference';
import { createHttpMetrics, createMetrics, createTelemetryLossMetrics, describeMetrics, metricsMarkdownTable, type Metrics } from '@samosachaat/observability';

export const METRICS_DOC = fileURLToPath(new URL('../docs/metrics.md', import.meta.url));

/** The generated tables, by section name. */
export function generatedSections(): Record<string, string> {
  const runtime = createMetrics({ service: 'any' });
  const runtimeRows = describeMetrics(runtime.registry);
  const http = createMetrics({ service: 'any', runtime: false });
  createHttpMetrics(http);
  const table = (register: (metrics: Metrics) => unknown): string => {
    const metrics = createMetrics({ service: 'any', runtime: false });
    register(metrics);
    return metricsMarkdownTable(describeMetrics(metrics.registry));
  };
  return {
    http: metricsMarkdownTable(describeMetrics(http.registry)),
    runtime: metricsMarkdownTable(runtimeRows),
    telemetry: table((m) => createTelemetryLossMetrics(m)),
    inference: table(createInferenceMetrics),
    'chat-api': table((m) => createChatMetrics(m)),
    auth: table(createAuthMetrics),
    database: table(createDatabaseMetrics),
  };
}

/** Replaces each marked section of `doc` with its generated table. */
export function renderDoc(doc: string, sections: Record<string, string>): string {
  let out = doc;
  for (const [name, table] of Object.entries(sections)) {
    const start = `<!-- metrics:${name}:start -->`;
    const end = `<!-- metrics:${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from === -1 || to === -1 || to < from) throw new Error(`docs/metrics.md lacks the ${start} … ${end} markers`);
    out = `${out.slice(0, from + start.length)}\n${table}\n${out.slice(to)}`;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const doc = readFileSync(METRICS_DOC, 'utf8');
  const next = renderDoc(doc, generatedSections());
  if (process.argv.includes('--write')) {
    writeFileSync(METRICS_DOC, next);
    console.log('docs/metrics.md regenerated');
  } else if (next !== doc) {
    console.error('docs/metrics.md is out of date: run `npm run docs:metrics`');
    process.exit(1);
  } else {
    console.log('docs/metrics.md matches the code');
  }
}
