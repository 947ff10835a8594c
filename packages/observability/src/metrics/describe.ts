import type { Registry } from 'prom-client';

/** One metric family as the reference documentation lists it. */
export interface MetricDescription {
  name: string;
  type: string;
  labels: string[];
  help: string;
}

/**
 * Lists every metric family registered on `registry`, with its labels (`service`, which
 * every series carries, first). `docs/metrics.md` is generated from this, so it cannot drift.
 */
export function describeMetrics(registry: Registry): MetricDescription[] {
  return registry
    .getMetricsAsArray()
    .map((m) => {
      const own = (m as unknown as { labelNames?: string[] }).labelNames ?? [];
      // `service` is added to every series at render time (see createMetrics).
      return { name: m.name, type: String(m.type), labels: ['service', ...own], help: m.help };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Renders descriptions as a Markdown table. */
export function metricsMarkdownTable(rows: MetricDescription[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| metric | type | labels | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.name}\` | ${r.type} | ${r.labels.map((l) => `\`${l}\``).join(', ')} | ${escape(r.help)} |`),
  ].join('\n');
}
