/**
 * Finds the series selectors of a PromQL expression — metric name plus label matchers —
 * without a full parser (none is installed; promtool checks the syntax separately). Enough
 * for the rule and dashboard lint: which metrics an expression names (so a test can prove
 * each is exported, comes from node_exporter, is `up` or a recording rule), and whether each
 * selector filters on `service`.
 */

/** One vector selector: `metric{matchers}` (metric is '' for a bare `{…}`). */
export interface Selector {
  metric: string;
  /** The text between the braces, '' when there are none. */
  matchers: string;
}

// Words that look like metric names but are PromQL keywords.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2', 'start', 'end']);
// Aggregation operators: `sum by (x) (…)` puts a grouping between the name and its `(`.
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
// Keywords followed by a parenthesised label list (not a sub-expression).
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Index just past the string literal starting at `start` (quote char at `start`). */
function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' && quote !== '`' ? 2 : 1;
  if (i >= expr.length) throw new Error(`unterminated string in: ${expr}`);
  return i + 1;
}

/** Index just past the bracket group opening at `start` (`{`, `(` or `[`), strings respected. */
function skipGroup(expr: string, start: number): number {
  const open = expr[start] ?? '';
  const close = ({ '{': '}', '(': ')', '[': ']' } as Record<string, string>)[open];
  if (!close) throw new Error(`no bracket at ${start} in: ${expr}`);
  let depth = 0;
  let i = start;
  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'" || c === '`') { i = skipString(expr, i); continue; }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i + 1;
    i++;
  }
  throw new Error(`unbalanced ${open} in: ${expr}`);
}

function nextNonSpace(expr: string, from: number): number {
  let i = from;
  while (i < expr.length && /\s/.test(expr[i] ?? '')) i++;
  return i;
}

/** Every vector selector of `expr`, in order of appearance. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  let depth = 0;
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'" || c === '`') { i = skipString(expr, i); continue; }
    if (c === '#') {
      // A comment runs to the end of the line.
      const eol = expr.indexOf('\n', i);
      i = eol === -1 ? expr.length : eol;
      continue;
    }
    if (c === '(' || c === ')') {
      depth += c === '(' ? 1 : -1;
      if (depth < 0) throw new Error(`unbalanced ) in: ${expr}`);
      i++;
      continue;
    }
    if (c === '[') { i = skipGroup(expr, i); continue; }
    if (c === '{') {
      const end = skipGroup(expr, i);
      out.push({ metric: '', matchers: expr.slice(i + 1, end - 1).trim() });
      i = end;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const number = /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[smhdwy]*)/.exec(expr.slice(i));
      i += Math.max(1, number?.[0].length ?? 1);
      continue;
    }
    const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))?.[0];
    if (!word) { i++; continue; }
    const after = nextNonSpace(expr, i + word.length);
    if (KEYWORDS.has(word)) {
      i = LABEL_LIST_KEYWORDS.has(word) && expr[after] === '(' ? skipGroup(expr, after) : i + word.length;
      continue;
    }
    if (expr[after] === '(') { i += word.length; continue; } // a function or aggregation
    if (AGGREGATIONS.has(word) && /^(by|without)\b/.test(expr.slice(after))) { i += word.length; continue; }
    if (expr[after] === '{') {
      const end = skipGroup(expr, after);
      out.push({ metric: word, matchers: expr.slice(after + 1, end - 1).trim() });
      i = end;
      continue;
    }
    out.push({ metric: word, matchers: '' });
    i += word.length;
  }
  if (depth !== 0) throw new Error(`unbalanced ( in: ${expr}`);
  return out;
}

/** The distinct metric names `expr` reads. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((s) => s.metric).filter((m) => m !== ''))];
}

/** The metric a histogram/summary series belongs to: foo_bucket, foo_sum, foo_count → foo. */
export function baseMetricName(series: string): string {
  return series.replace(/_(bucket|sum|count)$/, '');
}
