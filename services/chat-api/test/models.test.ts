import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './support/harness.js';

describe('models', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('proxies GET /models for any signed-in user', async () => {
    const res = await h.call('GET', '/api/models', { user: h.bob });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.json, {
      models: [
        { id: 'demo', engine: 'demo', loaded: true },
        { id: 'tiny', engine: 'demo', loaded: false },
      ],
      current_model: 'demo',
    });
  });

  it('refuses a swap to a non-admin with 403 CHAT_FORBIDDEN, whatever the body', async () => {
    for (const body of [{ model: 'tiny' }, {}, { model: 42 }]) {
      const res = await h.call('POST', '/api/models/swap', { user: h.alice, body });
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.equal(res.json.error.code, 'CHAT_FORBIDDEN');
    }
    const models = await h.call('GET', '/api/models');
    assert.equal(models.json.current_model, 'demo');
  });

  it("proxies an admin's swap with the internal key and returns inference's status and body", async () => {
    const res = await h.call('POST', '/api/models/swap', { user: h.admin, body: { model: 'tiny' } });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.json, { current_model: 'tiny', previous_model: 'demo' });
    const requested = h.logs.find('model_swap_requested')[0];
    assert.equal(requested?.model_tag, 'tiny');
    assert.equal(requested?.user_id, h.admin.id);

    const missing = await h.call('POST', '/api/models/swap', { user: h.admin, body: { model: 'missing' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'INFERENCE_MODEL_NOT_FOUND');
    assert.equal(await h.metric('chat_upstream_errors_total{upstream="inference",reason="status_4xx",service="chat-api"}'), 1);

    const invalid = await h.call('POST', '/api/models/swap', { user: h.admin, body: { model: '' } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.error.code, 'VALIDATION_FAILED');
  });

  it('serves /metrics with every chat-api family', async () => {
    const body = (await h.app.inject({ url: '/metrics' })).body;
    for (const name of [
      'chat_active_streams',
      'chat_stream_buffered_bytes',
      'chat_stream_duration_seconds',
      'chat_client_disconnects_total',
      'chat_messages_persisted_total',
      'chat_auth_cache_requests_total',
      'chat_upstream_errors_total',
    ]) {
      assert.match(body, new RegExp(`^# TYPE ${name.replace(/_total$/, '(_total)?')} `, 'm'), name);
    }
  });
});
