/**
 * The website's origin, what CloudFront serves when deployed: the built site's files, a `config.json` naming the
 * three API origins (the deployed one names the three API endpoints), and the sandbox's own pages under
 * `/_sandbox/`. The site has one origin, the one the APIs allow, so other loopback names are redirected to it.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { contentTypeOf } from '../../build/website';
import { OUTPUTS } from '../../system/definition';
import { send, type Handler } from '../http/serve';
import { isReadOnlyMethod, READ_ONLY_METHODS, staticFilePath } from '../http/static-path';
import { isSandboxPage, serveSandboxPage, type SandboxLinks } from './sandbox-pages';
import type { GatewayState } from './state';

const LOOPBACK_ALIAS = /^(localhost|127\.0\.0\.1)(:\d+)$/;

export interface WebsiteOptions {
  websiteDir: string;
  /** Pages linked from /_sandbox. */
  links: SandboxLinks;
}

/** The deployed config.json's three endpoints, here the three API origins. */
function configJson(apis: GatewayState['apis']): string {
  return JSON.stringify(
    {
      [OUTPUTS.mysfitsApiEndpoint]: apis.mysfits,
      [OUTPUTS.questionsApiEndpoint]: apis.questions,
      [OUTPUTS.streamingApiEndpoint]: apis.clicks,
    },
    null,
    2,
  );
}

const contentTypeOrBytes = (file: string) => {
  try {
    return contentTypeOf(file);
  } catch {
    return 'application/octet-stream';
  }
};

/** A file of the built site, for GET and HEAD. */
function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, websiteDir: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'Method not allowed', { 'Content-Type': 'text/plain', Allow: 'GET, HEAD' });
    return;
  }
  const file = staticFilePath(websiteDir, pathname);
  if (!file) {
    send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
    return;
  }
  fs.readFile(file, (err, data) => {
    if (err) {
      send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      return;
    }
    const headers = {
      'Content-Type': contentTypeOrBytes(file),
      'Content-Length': String(data.length),
      'Cache-Control': 'no-cache',
    };
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  });
}

/** The request handler of the website's origin. */
export function websiteHandler(state: GatewayState, options: WebsiteOptions): Handler {
  return (req, res) => {
    // Another name for this server (localhost) is sent to the allowed origin, or every API call from the page
    // would fail its CORS check.
    const hostHeader = req.headers.host ?? '';
    if (LOOPBACK_ALIAS.test(hostHeader) && `http://${hostHeader}` !== state.url) {
      return send(res, 308, '', { Location: `${state.url}${req.url ?? '/'}` });
    }
    const { pathname } = new URL(req.url ?? '/', 'http://website.local');
    const readOnlyPage = pathname === '/config.json' || isSandboxPage(pathname);
    if (readOnlyPage && !isReadOnlyMethod(req.method)) {
      req.resume();
      return send(res, 405, JSON.stringify({ message: `${req.method} is not allowed on ${pathname}` }), {
        'Content-Type': 'application/json',
        Allow: READ_ONLY_METHODS.join(', '),
      });
    }
    if (pathname === '/config.json') {
      return send(res, 200, configJson(state.apis), {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-cache',
      });
    }
    if (isSandboxPage(pathname)) return serveSandboxPage(res, pathname, state, options.links);
    return serveStatic(req, res, pathname, options.websiteDir);
  };
}
