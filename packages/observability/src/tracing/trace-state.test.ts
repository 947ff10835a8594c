/**
 * Cases taken from the rules of W3C Trace Context Level 2 for `tracestate`
 * (w3c/trace-context, spec/20-http_request_header_format.md, "tracestate Header"): the list
 * grammar, the key and value grammars, the 32-member limit, OWS and empty members, and the
 * truncation order. An invalid header is dropped as a whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TRACESTATE_MEMBERS, W3cTraceState } from './trace-state.js';

const parse = (header: string) => W3cTraceState.parse(header)?.serialize();

describe('tracestate (W3C Trace Context Level 2)', () => {
  it('keeps a valid list in order', () => {
    assert.equal(parse('vendorname1=opaqueValue1,vendorname2=opaqueValue2'), 'vendorname1=opaqueValue1,vendorname2=opaqueValue2');
    assert.equal(parse('congo=t61rcWkgMzE'), 'congo=t61rcWkgMzE');
  });

  it('holds at most 32 list members: 32 pass, 33 drop the whole header', () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');
    assert.equal(W3cTraceState.parse(members(MAX_TRACESTATE_MEMBERS))?.size, 32);
    assert.equal(W3cTraceState.parse(members(MAX_TRACESTATE_MEMBERS + 1)), undefined);
    assert.equal(W3cTraceState.parse(`${members(32)},,, ,`)?.size, 32, 'empty members do not count');
  });

  it('ignores spaces and tabs around members, and accepts empty and whitespace-only members', () => {
    assert.equal(parse('foo=1 \t , \t bar=2, \t baz=3'), 'foo=1,bar=2,baz=3');
    assert.equal(parse('\t foo=1 \t'), 'foo=1');
    assert.equal(parse('foo=1,,bar=2'), 'foo=1,bar=2');
    assert.equal(parse(''), '', 'an empty header is accepted');
    assert.equal(parse(' , \t ,'), '');
  });

  it('keys: a lowercase letter or digit first, then lowercase letters, digits, _ - * / @, at most 256', () => {
    const all = `abcdefghijklmnopqrstuvwxyz0123456789_-*/@`;
    assert.equal(W3cTraceState.parse(`${all}=1`)?.get(all), '1');
    assert.equal(parse('0vendor=1'), '0vendor=1', 'a digit may start a key');
    assert.equal(parse('tenant@vendor=1,a@b@c=2'), 'tenant@vendor=1,a@b@c=2');
    assert.equal(W3cTraceState.parse(`${'k'.repeat(256)}=1`)?.size, 1);
    for (const bad of ['FOO=1', 'foo.bar=1', 'foo =1', '_foo=1', '@foo=1', `${'k'.repeat(257)}=1`, 'ké=1', '=1', 'foo']) {
      assert.equal(W3cTraceState.parse(bad), undefined, bad.slice(0, 40));
    }
  });

  it('values: printable ASCII but comma and equals, at most 256, not ending in a space; leading spaces kept', () => {
    let all = '';
    for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) all += String.fromCharCode(c);
    assert.equal(W3cTraceState.parse(`foo=${all}`)?.get('foo'), all);
    assert.equal(W3cTraceState.parse('foo= 1')?.get('foo'), ' 1', 'leading spaces are part of the value');
    assert.equal(W3cTraceState.parse('foo=1 ')?.get('foo'), '1', 'trailing spaces are OWS');
    assert.equal(W3cTraceState.parse(`foo=${'v'.repeat(256)}`)?.size, 1);
    for (const bad of ['foo=', 'foo=a=b', 'foo=\u0019', 'foo=é', 'foo=\u007f', `foo=${'v'.repeat(257)}`, 'foo= ']) {
      assert.equal(W3cTraceState.parse(bad), undefined, JSON.stringify(bad.slice(0, 40)));
    }
  });

  it('drops the whole header for one invalid member, never member by member', () => {
    assert.equal(W3cTraceState.parse('good=1,BAD=2,also-good=3'), undefined);
    assert.equal(W3cTraceState.parse('good=1,bad=x=y'), undefined);
  });

  it('keeps the first of a repeated key (a vendor may discard duplicates)', () => {
    assert.equal(parse('foo=1,foo=2,bar=3'), 'foo=1,bar=3');
  });

  it('propagates at most 512 characters, dropping whole members: long ones (over 128) first, then from the right', () => {
    const long = `long=${'l'.repeat(200)}`;
    const short = (i: number) => `s${i}=${'x'.repeat(60)}`;
    const header = [short(0), long, short(1), short(2), short(3), short(4), short(5), short(6)].join(',');
    const kept = W3cTraceState.parse(header);
    assert.ok(kept && kept.serialize().length <= 512);
    assert.equal(kept.get('long'), undefined, 'the long member went first');
    assert.equal(kept.get('s0'), 'x'.repeat(60), 'the left-most short one stayed');
    assert.equal(kept.serialize(), [short(0), short(1), short(2), short(3), short(4), short(5), short(6)].join(','));
    const many = Array.from({ length: 12 }, (_, i) => short(i)).join(',');
    assert.deepEqual(W3cTraceState.parse(many)?.serialize().split(',').map((m) => m.split('=')[0]), ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'], 'eight members of 63 characters fit in 511');
  });

  it('moves a set key to the left, keeps one entry per key and refuses invalid pairs', () => {
    const state = W3cTraceState.parse('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE') as W3cTraceState;
    assert.equal(state.set('congo', 'ucfJifl5GOE').serialize(), 'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7');
    assert.equal(state.set('BAD', 'x').serialize(), state.serialize());
    assert.equal(state.unset('rojo').serialize(), 'congo=t61rcWkgMzE');
  });
});
