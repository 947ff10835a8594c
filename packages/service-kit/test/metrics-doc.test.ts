import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generatedSections, METRICS_DOC, renderDoc } from '../../../scripts/metrics-doc.js';
import { buildTestApp } from './support/app.js';

describe('docs/metrics.md', () => {
  it('matches the metrics the code registers (run `npm run docs:metrics` after changing a metric)', () => {
    const doc = readFileSync(METRICS_DOC, 'utf8');
    assert.equal(renderDoc(doc, generatedSections()), doc);
  });

  it('documents every family a real service exposes on /metrics', async () => {
    const t = await buildTestApp((app) => {
      app.get('/x', async () => ({}));
    });
    await t.app.inject({ url: '/x' });
    const body = (await t.app.inject({ url: '/metrics' })).body;
    await t.close();
    const doc = readFileSync(METRICS_DOC, 'utf8');
    const families = [...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as const);
    assert.ok(families.length >= 4);
    for (const [name, type] of families) assert.match(doc, new RegExp(`\\| \`${name}\` \\| ${type} \\|`), `${name} (${type}) is not in docs/metrics.md`);
  });
});
