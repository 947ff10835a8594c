/**
 * Checks PromQL syntax with Prometheus's own parser, through `promtool check rules`: each
 * query becomes a recording rule in its own group (named after its dashboard, panel and
 * refId, so promtool's error names the culprit) in a temporary rule file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A query to check, with the name promtool's error message will carry. */
export interface NamedQuery {
  name: string;
  expr: string;
}

/** The outcome: `ok`, and promtool's lines naming each failing group. */
export interface PromtoolResult {
  ok: boolean;
  /** One entry per failing query: its name and promtool's message. */
  failures: Array<{ name: string; message: string }>;
  output: string;
}

/** Runs `promtool check rules` over `queries` (variables already substituted). */
export async function checkPromqlSyntax(promtool: string, queries: readonly NamedQuery[]): Promise<PromtoolResult> {
  const dir = await mkdtemp(join(tmpdir(), 'samosachaat-promql-'));
  try {
    const file = join(dir, 'queries.rules.yml');
    // promtool refuses two groups with one name: number repeats.
    const seen = new Map<string, number>();
    const groups = queries.map((query) => {
      const count = (seen.get(query.name) ?? 0) + 1;
      seen.set(query.name, count);
      return { name: count === 1 ? query.name : `${query.name} (${count})`, rules: [{ record: 'dashboard_query:check', expr: query.expr }] };
    });
    await writeFile(file, stringify({ groups }, { lineWidth: 0 }));
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(promtool, ['check', 'rules', file], { timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });
    const failures: PromtoolResult['failures'] = [];
    for (const match of output.matchAll(/group "((?:[^"\\]|\\.)*)", rule \d+, "[^"]*": (.*)/g)) {
      failures.push({ name: (match[1] ?? '').replace(/\\"/g, '"'), message: match[2] ?? '' });
    }
    return { ok: code === 0, failures, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
