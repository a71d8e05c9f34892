import { describe, expect, it } from 'vitest';
import { checkLink, LINK_DAYS, rolloutPath, signedLink } from '../../lib/rollouts/links';
import { checkNonce, formNonce, NONCE_SECONDS } from '../../lib/web/nonce';

const SECRET = 'test-link-secret-0123456789abcdef0123';
const path = rolloutPath({ namespace: 'test', name: 'podinfo' }, 1764115200000);
const parts = (url: string) => {
  const u = new URL(url);
  return {
    path: u.pathname,
    exp: u.searchParams.get('exp') ?? undefined,
    sig: u.searchParams.get('sig') ?? undefined,
    k: u.searchParams.get('k') ?? undefined,
  };
};

describe('signed rollout links', () => {
  const now = Date.UTC(2026, 0, 1);
  const link = parts(signedLink(SECRET, 'https://api.example/', path, now));

  it('carries the path, an expiry 30 days on and a signature over both', () => {
    expect(link.path).toBe('/rollouts/test/podinfo/1764115200000');
    expect(Number(link.exp)).toBe(now / 1000 + LINK_DAYS * 86400);
    expect(checkLink(SECRET, link.path, link.exp, link.sig, now)).toBe('ok');
  });

  it('says which part is wrong: missing, tampered (path, expiry, signature, secret) or expired', () => {
    expect(checkLink(SECRET, path, undefined, undefined, now)).toBe('missing');
    expect(checkLink(SECRET, path, link.exp, undefined, now)).toBe('missing');
    expect(
      checkLink(
        SECRET,
        rolloutPath({ namespace: 'test', name: 'podinfo' }, 1764115200001),
        link.exp,
        link.sig,
        now,
      ),
    ).toBe('tampered');
    expect(checkLink(SECRET, path, String(Number(link.exp) + 1), link.sig, now)).toBe('tampered');
    // One character changed, whichever it was.
    const last = link.sig?.slice(-1) === 'A' ? 'B' : 'A';
    expect(checkLink(SECRET, path, link.exp, `${link.sig?.slice(0, -1)}${last}`, now)).toBe('tampered');
    expect(checkLink(`${SECRET}x`, path, link.exp, link.sig, now)).toBe('tampered');
    expect(checkLink(SECRET, path, 'abc', link.sig, now)).toBe('tampered');
    expect(checkLink(SECRET, path, link.exp, link.sig, now + (LINK_DAYS * 86400 + 1) * 1000)).toBe('expired');
  });

  it('tells a link signed with another secret (a rotation, an earlier npm start) from a tampered one', () => {
    expect(link.k).toMatch(/^[\w-]{8}$/);
    expect(link.k).not.toContain(SECRET.slice(0, 8));
    // Its key id names the other secret: said so, with what to do.
    expect(checkLink(`${SECRET}x`, path, link.exp, link.sig, now, link.k)).toBe('signed-elsewhere');
    // This secret's key id with a bad signature: tampered; and no key id (older links): tampered.
    expect(checkLink(SECRET, path, String(Number(link.exp) + 1), link.sig, now, link.k)).toBe('tampered');
    expect(checkLink(`${SECRET}x`, path, link.exp, link.sig, now)).toBe('tampered');
    // A good link is good with or without its key id.
    expect(checkLink(SECRET, path, link.exp, link.sig, now, link.k)).toBe('ok');
  });
});

describe('the edges of a link’s and a form’s life', () => {
  const SECRET = 'edge-link-secret-0123456789abcdef0123';
  const path = '/rollouts/web/frontend/1';

  it('takes a link until the second before its expiry and refuses it at its expiry', () => {
    const url = new URL(signedLink(SECRET, 'https://x', path, 0));
    const exp = Number(url.searchParams.get('exp'));
    const check = (now: number) =>
      checkLink(SECRET, path, url.searchParams.get('exp') ?? '', url.searchParams.get('sig') ?? '', now);
    expect(check(exp * 1000 - 1)).toBe('ok');
    expect(check(exp * 1000)).toBe('expired');
  });

  it('takes a form nonce for exactly an hour, and not a millisecond more', () => {
    const at = Date.UTC(2026, 11, 6, 12);
    const nonce = formNonce(SECRET, path, at);
    expect(checkNonce(SECRET, path, nonce, at + NONCE_SECONDS * 1000)).toBe('ok');
    expect(checkNonce(SECRET, path, nonce, at + NONCE_SECONDS * 1000 + 1)).toBe('expired');
  });
});

describe('a link or nonce read whole: nothing before or after it is taken', () => {
  const SECRET = 'whole-link-secret-0123456789abcdef012';
  const path = '/rollouts/web/frontend/1';
  const now = Date.UTC(2026, 0, 1);
  const u = new URL(signedLink(SECRET, 'https://api.example//', path, now));
  const exp = u.searchParams.get('exp') as string;
  const sig = u.searchParams.get('sig') as string;

  it('joins the base and the path with one slash', () => {
    expect(u.href.startsWith('https://api.example/rollouts/')).toBe(true);
  });

  it.each([
    ['an expiry with a prefix', `x${exp}`, sig],
    ['an expiry with a suffix', `${exp}x`, sig],
    ['a signature with a prefix', exp, `x${sig}`],
    ['a signature with a suffix', exp, `${sig}x`],
  ])('%s is tampered', (_, e, s) => {
    expect(checkLink(SECRET, path, e, s, now)).toBe('tampered');
  });

  it('a nonce: empty is missing, anything around it or not shaped like one is tampered', () => {
    const nonce = formNonce(SECRET, path, now);
    expect(checkNonce(SECRET, path, '', now)).toBe('missing');
    expect(checkNonce(SECRET, path, `x${nonce}`, now)).toBe('tampered');
    expect(checkNonce(SECRET, path, `${nonce}x`, now)).toBe('tampered');
    expect(checkNonce(SECRET, path, 'not.a.nonce', now)).toBe('tampered');
    expect(checkNonce(SECRET, path, nonce, now)).toBe('ok');
  });
});
