import type http from 'node:http';
import { urlToHttpOptions } from 'node:url';
import type { AttemptResult } from '../core/outcome';
import { checkTargetUrl, type TargetPolicy } from '../core/ssrf';

/** The part of a request that depends only on its URL: where it goes, and through which agent. */
export type TargetOptions = Pick<http.RequestOptions, 'protocol' | 'hostname' | 'port' | 'path' | 'method' | 'agent'>;

export type PreparedTarget =
  | { ok: true; isHttps: boolean; options: TargetOptions }
  | { ok: false; refusal: Extract<AttemptResult, { kind: 'error' }> };

/**
 * How many URLs are kept prepared: more than one execution environment delivers to between two
 * cold starts, and a bound however many it meets.
 */
const DEFAULT_CAPACITY = 1_000;

/**
 * Target URLs checked against the policy and turned into request options once per URL rather
 * than on every attempt: the check depends on nothing else, and parsing it again was a sizeable
 * share of an attempt's CPU. What a name resolves to is not kept here: every new connection still
 * resolves and checks it (see `checkingLookup`).
 */
export class RequestTargets {
  private readonly prepared = new Map<string, PreparedTarget>();

  constructor(
    private readonly policy: TargetPolicy,
    private readonly agents: { http: http.Agent; https: http.Agent },
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  get(url: string): PreparedTarget {
    let target = this.prepared.get(url);
    if (target === undefined) {
      target = this.prepare(url);
      // Oldest first: a URL still in use costs one more check when it comes back.
      if (this.prepared.size >= this.capacity) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(url, target);
    }
    return target;
  }

  private prepare(url: string): PreparedTarget {
    const check = checkTargetUrl(url, this.policy);
    if (!check.ok) {
      const error = check.reason === 'address_not_allowed' ? 'blocked_target' : 'invalid_target';
      return { ok: false, refusal: { kind: 'error', error, message: check.message, durationMs: 0, requestSent: false } };
    }
    const isHttps = check.url.protocol === 'https:';
    // Node's own reading of the URL (IPv6 brackets dropped, path with query), copied into a plain
    // object: the one Node returns has no prototype, which makes copying it per request slow.
    const { protocol, hostname, port, path } = urlToHttpOptions(check.url);
    const options: TargetOptions = { protocol, hostname, path, method: 'POST', agent: isHttps ? this.agents.https : this.agents.http };
    if (port !== undefined) options.port = port;
    return { ok: true, isHttps, options };
  }
}
