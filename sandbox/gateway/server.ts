/**
 * The local API gateway, on origins laid out as deployed: the website (what CloudFront serves) on one port and
 * each REST API (questions, mysfits, clicks: three execute-api hosts on AWS) on its own port. Since the site and
 * the APIs are on different origins, a browser checks CORS here as it does on AWS. This module only starts the
 * rooms together and closes them; each room is its own module:
 * - `api.ts`: one API's origin (routes, CORS preflights, the rate rule, gateway responses, access log, tracing),
 *   with `integrations.ts` (Lambda proxy, clicks validator + Firehose), `answers.ts`, `routes.ts`;
 * - `website.ts`: the built site and `config.json`; `sandbox-pages.ts`: the sandbox's own pages under `/_sandbox/`;
 * - `state.ts`: what they share (the backends attached once the functions run, the origins once known).
 */
import type * as http from 'node:http';
import type { ApiKey } from '../../system/definition';
import { guardedServer, listen, trackSockets } from '../http/serve';
import { apiHandler, type ApiOptions } from './api';
import { API_KEYS } from './routes';
import type { GatewayBackends, GatewayState } from './state';
import { websiteHandler, type WebsiteOptions } from './website';

export { API_KEYS, matchRoute, restApiId } from './routes';
export type { FunctionOutcome, GatewayBackends } from './state';

/** A port per origin; 0 = any free port. */
export type GatewayPorts = { website: number } & Record<ApiKey, number>;

export interface GatewayOptions extends ApiOptions, WebsiteOptions {
  ports: GatewayPorts;
  host?: string;
  /**
   * The one origin the APIs allow (the stacks' `allowedOrigin`): default the website's own origin, as deployed.
   * Another value shows what a browser does when the two disagree.
   */
  allowedOrigin?: string;
  onError?: (error: Error) => void;
}

export interface Gateway {
  /** The website's origin, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** Each API's origin (what the stacks output as its endpoint, and `config.json` names). */
  readonly apis: Record<ApiKey, string>;
  readonly allowedOrigin: string;
  /** Until backends are attached, API calls get 503 (the sandbox is still starting). */
  attach(backends: GatewayBackends): void;
  close(): Promise<void>;
}

/** The environment variable that sets each origin's port (sandbox/start.ts). */
export const PORT_SETTINGS: Record<keyof GatewayPorts, string> = {
  website: 'PORT',
  questions: 'QUESTIONS_API_PORT',
  mysfits: 'MYSFITS_API_PORT',
  clicks: 'CLICKS_API_PORT',
};

/** Listens on every origin in turn (the website first); the first that cannot listen closes them all. */
async function listenAll(servers: Record<keyof GatewayPorts, http.Server>, options: GatewayOptions, host: string) {
  const ports = {} as Record<keyof GatewayPorts, number>;
  for (const origin of ['website', ...API_KEYS] as const) {
    const what = origin === 'website' ? 'website' : `${origin} API`;
    ports[origin] = await listen(servers[origin], options.ports[origin], host, what, PORT_SETTINGS[origin]);
  }
  return ports;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const report = (err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err)));
  const state: GatewayState = { url: '', allowedOrigin: '', apis: {} as Record<ApiKey, string>, report };
  const servers = {
    website: guardedServer(websiteHandler(state, options), report),
    ...(Object.fromEntries(
      API_KEYS.map((api) => [api, guardedServer(apiHandler(api, state, options), report)]),
    ) as Record<ApiKey, http.Server>),
  };
  const closers = Object.values(servers).map(trackSockets);
  const closeAll = () => Promise.all(closers.map((close) => close())).then(() => undefined);

  let ports: Record<keyof GatewayPorts, number>;
  try {
    ports = await listenAll(servers, options, host);
  } catch (err) {
    await closeAll();
    throw err;
  }
  for (const api of API_KEYS) state.apis[api] = `http://${host}:${ports[api]}`;
  state.url = `http://${host}:${ports.website}`;
  state.allowedOrigin = options.allowedOrigin ?? state.url;

  return {
    url: state.url,
    port: ports.website,
    apis: state.apis,
    allowedOrigin: state.allowedOrigin,
    attach(backends) {
      state.backends = backends;
    },
    close: closeAll,
  };
}
