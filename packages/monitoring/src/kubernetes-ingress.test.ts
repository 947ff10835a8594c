import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { INGRESS_SETTINGS, ingressObject, renderIngress } from './kubernetes-ingress.js';

describe('the prod Ingress', () => {
  it('derives its limits from web’s: stream silence, body size, request time', () => {
    const annotations = (ingressObject({ ...INGRESS_SETTINGS, bodyLimitBytes: 4 * 1024 * 1024, streamIdleTimeoutMs: 600_000, requestTimeoutMs: 45_500 }).metadata as { annotations: Record<string, string> }).annotations;
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-body-size'], '4096k');
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'], '600');
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'], '46');
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
  });

  it('renders "off" quoted, as Kubernetes (YAML 1.1) must read a string', () => {
    const text = renderIngress();
    assert.match(text, /proxy-buffering: "off"/);
    assert.equal((parse(text) as { spec: { rules: Array<{ host: string }> } }).spec.rules[0]?.host, INGRESS_SETTINGS.host);
  });
});
