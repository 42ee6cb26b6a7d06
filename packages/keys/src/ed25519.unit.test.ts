import { describe, expect, it } from 'vitest';
import { nobleSigner } from '@lineage/protocol';
import type { Ed25519Verifier } from '@lineage/protocol';
import { memoizedEd25519, nodeEd25519 } from './ed25519.js';
import { generateKeyPair } from './keyfile.js';

describe('memoizedEd25519', () => {
  const pair = generateKeyPair();
  const message = new TextEncoder().encode('a grant carried by many intents');
  const sig = pair.signer.sign(message);
  const counting = () => {
    const inner = nodeEd25519();
    const counter = {
      calls: 0,
      verify: (s: Uint8Array, m: Uint8Array, k: Uint8Array) => (
        counter.calls++,
        inner.verify(s, m, k)
      ),
    };
    return counter as Ed25519Verifier & { calls: number };
  };

  it('verifies a repeated valid signature once', () => {
    const inner = counting();
    const memo = memoizedEd25519(inner);
    for (let i = 0; i < 5; i++) expect(memo.verify(sig, message, pair.publicKey)).toBe(true);
    expect(inner.calls).toBe(1);
  });

  it('never answers from the memo for other bytes: another message, signature or key is verified', () => {
    const inner = counting();
    const memo = memoizedEd25519(inner);
    expect(memo.verify(sig, message, pair.publicKey)).toBe(true);
    const other = new TextEncoder().encode('a different message');
    expect(memo.verify(sig, other, pair.publicKey)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[0]! ^= 1;
    expect(memo.verify(flipped, message, pair.publicKey)).toBe(false);
    expect(memo.verify(sig, message, generateKeyPair().publicKey)).toBe(false);
    expect(inner.calls).toBe(4);
  });

  it('keeps failures out and forgets the oldest success beyond its capacity', () => {
    const inner = counting();
    const memo = memoizedEd25519(inner, 2);
    const signed = ['a', 'b', 'c'].map((t) => {
      const m = new TextEncoder().encode(t);
      return { m, s: pair.signer.sign(m) };
    });
    for (const { m, s } of signed) expect(memo.verify(s, m, pair.publicKey)).toBe(true);
    expect(inner.calls).toBe(3);
    // 'a' was evicted: verified again; 'c' is still remembered.
    expect(memo.verify(signed[0]!.s, signed[0]!.m, pair.publicKey)).toBe(true);
    expect(memo.verify(signed[2]!.s, signed[2]!.m, pair.publicKey)).toBe(true);
    expect(inner.calls).toBe(4);
    const bad = new Uint8Array(64);
    expect(memo.verify(bad, message, pair.publicKey)).toBe(false);
    expect(memo.verify(bad, message, pair.publicKey)).toBe(false);
    expect(inner.calls).toBe(6);
  });
});

describe('off the event loop', () => {
  const pair = generateKeyPair();
  const message = new TextEncoder().encode('an attestation statement');

  it('signs the same bytes on the Ed25519 thread as in line, and as noble does', async () => {
    const seed = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    const inline = pair.signer.sign(message);
    const other = new TextEncoder().encode('another statement');
    // A view into a larger buffer is signed over its own bytes only.
    const view = new Uint8Array([0, ...other, 0]).subarray(1, other.length + 1);
    const many = await pair.signer.signMany!([message, view]);
    expect(many.map((s) => new Uint8Array(s))).toEqual([inline, pair.signer.sign(other)]);
    expect(nobleSigner(new Uint8Array(seed), pair.keyid).sign(message)).toEqual(inline);
  });

  it('remembers what a prefetch verified, and only that', async () => {
    const inner = nodeEd25519();
    let calls = 0;
    const memo = memoizedEd25519({ verify: (s, m, k) => (calls++, inner.verify(s, m, k)) });
    const good = pair.signer.sign(message);
    const bad = Uint8Array.from(good);
    bad[5]! ^= 1;
    await memo.prefetch([
      { signature: good, message, publicKey: pair.publicKey },
      { signature: bad, message, publicKey: pair.publicKey },
      { signature: good, message, publicKey: new Uint8Array(31) },
    ]);
    expect(memo.verify(good, message, pair.publicKey)).toBe(true);
    expect(calls).toBe(0);
    // A failure is not remembered: it is checked again, and fails again.
    expect(memo.verify(bad, message, pair.publicKey)).toBe(false);
    // A remembered signature over other bytes is no hit.
    expect(memo.verify(good, new TextEncoder().encode('other'), pair.publicKey)).toBe(false);
    expect(calls).toBe(2);
  });

  it('a batch prefetch verifies on the Ed25519 thread and remembers exactly the good ones', async () => {
    const inner = nodeEd25519();
    let calls = 0;
    const memo = memoizedEd25519({ verify: (s, m, k) => (calls++, inner.verify(s, m, k)) });
    const messages = Array.from({ length: 10 }, (_, i) =>
      new TextEncoder().encode(`statement ${i}`),
    );
    const checks = messages.map((m, i) => {
      const signature = pair.signer.sign(m);
      if (i % 3 === 0) signature[0]! ^= 1;
      return { signature, message: m, publicKey: i === 4 ? new Uint8Array(32) : pair.publicKey };
    });
    await memo.prefetch(checks);
    const answers = checks.map((c) => memo.verify(c.signature, c.message, c.publicKey));
    expect(answers).toEqual(checks.map((_, i) => i % 3 !== 0 && i !== 4));
    // Only the ones that failed were checked again.
    expect(calls).toBe(5);
  });
});
