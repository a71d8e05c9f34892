import { describe, expect, it } from 'vitest';
import { presentedToken } from '../../lib/ingest/auth';

describe('the token a request presents', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc  ', 'abc'],
    ['Bearer abc def', undefined],
    ['xBearer abc', undefined],
    ['Bearerabc', undefined],
    ['Basic abc', undefined],
  ])('reads %j as %j (else the query’s)', (authorization, token) => {
    expect(presentedToken({}, authorization)).toBe(token);
    expect(presentedToken({ token: 'q' }, authorization)).toBe(token ?? 'q');
  });
});
