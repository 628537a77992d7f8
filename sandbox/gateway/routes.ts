/** The REST APIs' resources as the stacks declare them (LAMBDA_ROUTES, CLICKS_ROUTE), and their API ids. */
import { createHash } from 'node:crypto';
import { CLICKS_ROUTE, LAMBDA_ROUTES, names, type ApiKey, type FunctionKey } from '../../system/definition';
import { LOCAL_ENV } from '../local-aws';

export const API_KEYS: readonly ApiKey[] = ['questions', 'mysfits', 'clicks'];

export interface Route {
  api: ApiKey;
  method: string;
  path: string;
  function?: FunctionKey;
  pattern: RegExp;
  params: string[];
}

const ROUTES: Route[] = [...LAMBDA_ROUTES, CLICKS_ROUTE].map((route) => {
  const params: string[] = [];
  const pattern = new RegExp(
    '^' +
      route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
        params.push(name);
        return '([^/]+)';
      }) +
      '/?$',
  );
  return { ...route, pattern, params };
});

const decodeParam = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // malformed escapes reach the function as sent
  }
};

/** The resource of `api` a path names (its routes, one per method) and its path parameters. */
export function matchRoute(
  api: ApiKey,
  pathname: string,
): { routes: Route[]; params: Record<string, string> } | undefined {
  for (const route of ROUTES.filter((r) => r.api === api)) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const params = Object.fromEntries(route.params.map((name, i) => [name, decodeParam(match[i + 1])]));
    return { routes: ROUTES.filter((r) => r.api === api && r.path === route.path), params };
  }
  return undefined;
}

/** A stable, API-Gateway-looking id (10 lowercase alphanumerics) per REST API name. */
export const restApiId = (api: ApiKey) =>
  BigInt(`0x${createHash('sha256').update(names.api(LOCAL_ENV, api)).digest('hex').slice(0, 15)}`)
    .toString(36)
    .padStart(10, '0')
    .slice(0, 10);
