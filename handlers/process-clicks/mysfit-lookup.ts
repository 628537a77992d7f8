/**
 * Looks a mysfit up through the mysfits API (`GET {base}/mysfits/{id}`), with a timeout and a per-container
 * cache. Uses node's http/https modules, which captureHTTPsGlobal instruments, so the API shows in X-Ray as a
 * remote node (global fetch would not be traced).
 */
import http from 'node:http';
import https from 'node:https';

export interface MysfitTraits {
  goodEvil: string;
  lawChaos: string;
  species: string;
}

export class UnknownMysfit extends Error {
  constructor(mysfitId: string) {
    super(`mysfit ${mysfitId} does not exist`);
    this.name = 'UnknownMysfit';
  }
}

export class LookupFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookupFailed';
  }
}

export interface MysfitLookup {
  get(mysfitId: string): Promise<MysfitTraits>;
}

export function createMysfitLookup(baseUrl: URL, timeoutMs: number): MysfitLookup {
  const client = baseUrl.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const base = baseUrl.href.replace(/\/+$/, '');
  // Promises, so concurrent lookups of one mysfit share one request; failures are evicted, successes kept.
  const cache = new Map<string, Promise<MysfitTraits>>();

  function fetchMysfit(mysfitId: string): Promise<MysfitTraits> {
    return new Promise((resolve, reject) => {
      const request = client.get(
        `${base}/mysfits/${encodeURIComponent(mysfitId)}`,
        { agent, headers: { accept: 'application/json' }, timeout: timeoutMs },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (err) => reject(new LookupFailed(`reading mysfit ${mysfitId}: ${err.message}`)));
          response.on('end', () => {
            clearTimeout(deadline);
            if (response.statusCode === 404) return reject(new UnknownMysfit(mysfitId));
            if (response.statusCode !== 200) {
              return reject(new LookupFailed(`mysfits API answered ${response.statusCode} for ${mysfitId}`));
            }
            try {
              const view = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              const traits = { goodEvil: view?.goodEvil, lawChaos: view?.lawChaos, species: view?.species };
              if (![traits.goodEvil, traits.lawChaos, traits.species].every((v) => typeof v === 'string')) {
                return reject(new LookupFailed(`mysfits API sent an incomplete mysfit for ${mysfitId}`));
              }
              resolve(traits);
            } catch {
              reject(new LookupFailed(`mysfits API sent malformed JSON for ${mysfitId}`));
            }
          });
        },
      );
      // `timeout` only covers socket inactivity; this bounds the whole exchange.
      const deadline = setTimeout(
        () => request.destroy(new LookupFailed(`mysfits API did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      request.on('timeout', () =>
        request.destroy(new LookupFailed(`mysfits API did not answer within ${timeoutMs} ms`)),
      );
      request.on('error', (err) => {
        clearTimeout(deadline);
        reject(err instanceof LookupFailed ? err : new LookupFailed(`mysfits API unreachable: ${err.message}`));
      });
    });
  }

  return {
    get(mysfitId) {
      let pending = cache.get(mysfitId);
      if (!pending) {
        pending = fetchMysfit(mysfitId);
        cache.set(mysfitId, pending);
        pending.catch(() => cache.delete(mysfitId));
      }
      return pending;
    },
  };
}
