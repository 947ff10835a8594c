import type { Registry } from 'prom-client';

/** One metric family as the reference documentation lists it. */
export interface MetricDescription {
  name: string;
  type: string;
  labels: string[];
  help: string;
}

/**
 * Lists every metric family registered on `registry`, with its labels (the default
 * `service` label first). `docs/metrics.md` is generated from this, so it cannot drift.
 */
export function describeMetrics(registry: Registry): MetricDescription[] {
  const defaults = Object.keys((registry as unknown as { _defaultLabels?: Record<string, string> })._defaultLabels ?? {});
  return registry
    .getMetricsAsArray()
    .map((m) => {
      const own = ((m as unknown as { labelNames?: string[] }).labelNames ?? []).filter((l) => !defaults.includes(l));
      return { name: m.name, type: String(m.type), labels: [...defaults, ...own], help: m.help };
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
