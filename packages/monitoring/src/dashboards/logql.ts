/**
 * LogQL syntax checks with Grafana's own LogQL grammar (@grafana/lezer-logql, the parser
 * behind Grafana's Loki query editor): a query is valid when its parse tree has no error
 * node. Grafana variables must be substituted first (see inspect.ts), as Grafana does.
 */
import { parser } from '@grafana/lezer-logql';

/** A syntax problem: where, and the text around it. */
export interface LogqlError {
  offset: number;
  near: string;
}

/** Syntax errors of `query` (empty when it parses). */
export function logqlErrors(query: string): LogqlError[] {
  const errors: LogqlError[] = [];
  if (query.trim() === '') return [{ offset: 0, near: '(empty query)' }];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) errors.push({ offset: node.from, near: query.slice(Math.max(0, node.from - 15), node.from + 15) });
    },
  });
  return errors;
}

/** The label names used in the stream selectors (`{…}`) of `query` — the ones that must be Loki labels. */
export function streamSelectorLabels(query: string): string[] {
  const labels = new Set<string>();
  const tree = parser.parse(query);
  tree.iterate({
    enter(node) {
      if (node.name !== 'Selector') return;
      const cursor = node.node.cursor();
      // Matchers nest (Matchers → Matchers → Matcher); walk the whole selector subtree.
      const stop = node.to;
      while (cursor.next() && cursor.from < stop) {
        if (cursor.name === 'Matcher') {
          const id = cursor.node.getChild('Identifier');
          if (id) labels.add(query.slice(id.from, id.to));
        }
      }
    },
  });
  return [...labels].sort();
}

/**
 * Label names filtered on (`| trace_id="…"`) before the first parser stage (`| json`,
 * `| logfmt`…) of `query`: with nothing parsed yet, they can only match stream labels or
 * structured metadata the log shipper attached.
 */
export function unparsedLabelFilters(query: string): string[] {
  const labels = new Set<string>();
  let parsed = false;
  parser.parse(query).iterate({
    enter(node) {
      if (parsed) return false;
      if (node.name === 'PipelineStage') {
        const stage = node.node.firstChild?.nextSibling;
        if (stage?.name.includes('Parser')) { parsed = true; return false; }
        if (stage?.name === 'LabelFilter') {
          const cursor = stage.cursor();
          const stop = stage.to;
          while (cursor.next() && cursor.from < stop) {
            if (cursor.name === 'Matcher') {
              const id = cursor.node.getChild('Identifier');
              if (id) labels.add(query.slice(id.from, id.to));
            }
          }
        }
        return false;
      }
      return undefined;
    },
  });
  return [...labels].sort();
}

/**
 * The queries of every ```logql fenced block of a Markdown document. Queries are separated
 * by `#` comment lines or blank lines; consecutive lines form one (multi-line) query.
 */
export function logqlExamples(markdown: string): string[] {
  const queries: string[] = [];
  for (const block of markdown.matchAll(/```logql\r?\n([\s\S]*?)```/g)) {
    let current: string[] = [];
    const flush = (): void => {
      if (current.length > 0) queries.push(current.join('\n'));
      current = [];
    };
    for (const line of (block[1] ?? '').split(/\r?\n/)) {
      const text = line.trim();
      if (text === '' || text.startsWith('#')) flush();
      else current.push(line.trimEnd());
    }
    flush();
  }
  return queries;
}
