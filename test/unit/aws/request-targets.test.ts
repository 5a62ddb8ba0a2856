import http from 'node:http';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { RequestTargets } from '../../../lambdas/aws/request-targets';
import { parseCidrList, type TargetPolicy } from '../../../lambdas/core/ssrf';

const POLICY: TargetPolicy = { allowHttp: true, allowedNetworks: parseCidrList('127.0.0.0/8,::1/128') };

const targetsWith = (capacity?: number) => {
  const agents = { http: new http.Agent(), https: new https.Agent() };
  return { agents, targets: new RequestTargets(POLICY, agents, capacity) };
};

describe('Class: RequestTargets', () => {
  describe('Method: get', () => {
    it.each([
      ['https://hooks.example.com/in?source=shop', { protocol: 'https:', hostname: 'hooks.example.com', path: '/in?source=shop' }, 'https'],
      ['http://127.0.0.1:8080/hook', { protocol: 'http:', hostname: '127.0.0.1', port: 8080, path: '/hook' }, 'http'],
      ['http://[::1]:9000/', { protocol: 'http:', hostname: '::1', port: 9000, path: '/' }, 'http'],
    ] as const)('reads %s as Node does, through the agent of its scheme', (url, expected, agent) => {
      // Prepare
      const { agents, targets } = targetsWith();

      // Act
      const target = targets.get(url);

      // Assess
      expect(target).toEqual({ ok: true, isHttps: agent === 'https', options: { ...expected, method: 'POST', agent: agents[agent] } });
    });

    it.each([
      ['http://10.0.0.1/hook', 'blocked_target'],
      ['ftp://example.com/hook', 'invalid_target'],
      ['https://user:secret@example.com/', 'invalid_target'],
      ['not a url', 'invalid_target'],
    ])('refuses %s with %s, the same way every time', (url, error) => {
      // Prepare
      const { targets } = targetsWith();

      // Act
      const first = targets.get(url);
      const again = targets.get(url);

      // Assess
      expect(first).toMatchObject({ ok: false, refusal: { kind: 'error', error, durationMs: 0 } });
      expect(again).toBe(first);
    });

    it('prepares a URL once and hands out the same target for it afterwards', () => {
      // Prepare
      const { targets } = targetsWith();

      // Act
      const first = targets.get('https://hooks.example.com/a');
      const other = targets.get('https://hooks.example.com/b');
      const again = targets.get('https://hooks.example.com/a');

      // Assess
      expect(again).toBe(first);
      expect(other).not.toBe(first);
    });

    it('holds at most its capacity, letting the oldest URL go first', () => {
      // Prepare
      const { targets } = targetsWith(2);
      const oldest = targets.get('https://a.example.com/');
      const kept = targets.get('https://b.example.com/');

      // Act
      targets.get('https://c.example.com/');

      // Assess: the newer one is still held, the oldest is prepared anew (equal, not the same).
      expect(targets.get('https://b.example.com/')).toBe(kept);
      const oldestAgain = targets.get('https://a.example.com/');
      expect(oldestAgain).not.toBe(oldest);
      expect(oldestAgain).toEqual(oldest);
    });
  });
});
