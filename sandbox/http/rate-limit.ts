/**
 * Per-client rate limiting, as the deployed WAF rate-based rule applies it in front of POST /questions: at most
 * `limit` requests from one client IP within the trailing `windowSeconds`; requests past that are blocked while the
 * rate stays above it. WAF counts every request the rule's scope matches, blocked ones included
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html:
 * "the requests for the 2 minutes immediately preceding the current time"), so a client
 * that keeps sending stays blocked; so does this one.
 *
 * Counts are kept in one-second buckets per client, so memory stays bounded whatever a client sends.
 */
import { RATE_LIMITED_RESPONSE } from '../../system/definition';

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** The deployed rule's figures unless the environment's config says otherwise: 100 requests per 5 minutes. */
export const DEFAULT_QUESTIONS_RATE_LIMIT: RateLimit = { limit: 100, windowSeconds: 300 };

/**
 * What WAF answers a blocked request with. WAF's default Block answer is 403 with no body; the stacks configure a
 * custom response (https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html)
 * with this status and this JSON body, so a client can tell "slow down" from "forbidden". Declared once, in
 * system/definition.ts, for the stacks and the sandbox alike.
 */
export const RATE_LIMITED_STATUS = RATE_LIMITED_RESPONSE.statusCode;
export const RATE_LIMITED_BODY = JSON.stringify(RATE_LIMITED_RESPONSE.body);

export interface RateLimiter {
  /** Counts one request from `client`; false when it is over the limit and must be refused. */
  allow(client: string): boolean;
}

export function createRateLimiter(rule: RateLimit, now: () => number = Date.now): RateLimiter {
  if (!Number.isInteger(rule.limit) || rule.limit < 1)
    throw new Error(`rate limit: limit must be a positive integer, got ${rule.limit}`);
  if (!Number.isInteger(rule.windowSeconds) || rule.windowSeconds < 1) {
    throw new Error(`rate limit: windowSeconds must be a positive integer, got ${rule.windowSeconds}`);
  }
  /** Per client: request counts by whole second, oldest first. */
  const clients = new Map<string, { second: number; count: number }[]>();
  let lastSweep = 0;

  /** Forgets clients with nothing left in the window, so a scan from many addresses does not grow the map. */
  function sweep(second: number) {
    if (second - lastSweep < rule.windowSeconds) return;
    lastSweep = second;
    for (const [client, buckets] of clients) {
      if (buckets[buckets.length - 1].second <= second - rule.windowSeconds) clients.delete(client);
    }
  }

  return {
    allow(client) {
      const second = Math.floor(now() / 1000);
      sweep(second);
      const buckets = (clients.get(client) ?? []).filter((b) => b.second > second - rule.windowSeconds);
      const last = buckets[buckets.length - 1];
      if (last && last.second === second) last.count += 1;
      else buckets.push({ second, count: 1 });
      clients.set(client, buckets);
      const inWindow = buckets.reduce((sum, b) => sum + b.count, 0);
      return inWindow <= rule.limit;
    },
  };
}
