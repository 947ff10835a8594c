/**
 * Finds the metric names a PromQL expression reads, so a test can prove that every name an
 * alert or recording rule uses is really exported (docs/metrics.md), comes from
 * node_exporter, is `up`, or is another recording rule. This is a careful scan, not a full
 * parser: it removes what can hold non-metric identifiers (strings, label matchers, range
 * selectors, by/without/on/ignoring/group_* label lists), then keeps the identifiers that
 * are neither function calls nor keywords.
 */

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'bool', 'offset', 'atan2', 'inf', 'nan', 'start', 'end',
]);

/** The distinct metric names `expr` selects, in order of first appearance. */
export function metricNamesInExpr(expr: string): string[] {
  const cleaned = expr
    // Strings ("5..", label_replace arguments) are values, not names.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Comments run to the end of the line.
    .replace(/#[^\n]*/g, ' ')
    // Label matchers and range/subquery selectors hold label names and durations.
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    // Grouping label lists: sum by (service, le), on (service), group_left (model)…
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names: string[] = [];
  // (?<![\w:.]) skips the unit letter of a number like 1e9 or a duration left outside [].
  for (const match of cleaned.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)/g)) {
    const name = match[1] as string;
    const rest = cleaned.slice((match.index ?? 0) + name.length);
    if (/^\s*\(/.test(rest)) continue; // a function call: rate(…), histogram_quantile(…)
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The metric a histogram/summary series belongs to: foo_bucket, foo_sum, foo_count → foo. */
export function baseMetricName(series: string): string {
  return series.replace(/_(bucket|sum|count)$/, '');
}
