/**
 * The gateway's and the X-Ray daemon's small guards, without a sandbox: the Host check against DNS rebinding,
 * the static path mapping (NUL and other invalid bytes are 404, never a crash), and the per-client rate limiter.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { refuseForeignHost } from '../../sandbox/http/host-guard';
import { createRateLimiter } from '../../sandbox/http/rate-limit';
import { staticFilePath } from '../../sandbox/http/static-path';

describe('Host guard', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (refuseForeignHost(req, res)) return;
      res.end('served');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw request, so the Host header is exactly what the test says (or absent). */
  function rawGet(hostLine: string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`GET /config.json HTTP/1.0\r\n${hostLine === undefined ? '' : `Host: ${hostLine}\r\n`}\r\n`);
      });
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => {
        const [head, ...rest] = data.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
      });
      socket.on('error', reject);
    });
  }

  test.each([
    ['a rebinding site name', 'evil.example', 'evil.example'],
    ['a site name with this port', 'evil.example:PORT', 'evil.example'],
    ['loopback with another port', '127.0.0.1:1', '127.0.0.1:1'],
    ['the machine name', 'localhost.localdomain:PORT', 'localhost.localdomain'],
    ['a loopback name without a port', 'localhost', 'localhost'],
  ])('%s in Host is refused with 403 naming it', async (_what, host, named) => {
    const res = await rawGet(host.replace('PORT', String(port)));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ message: 'Forbidden', detail: expect.stringContaining(named) });
  });

  test('a missing Host is refused', async () => {
    const res = await rawGet(undefined);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).detail).toContain('Host header is missing');
  });

  test.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST:PORT', '[::1]:PORT'])('%s is served', async (host) => {
    const res = await rawGet(host.replace('PORT', String(port)));
    expect(res).toEqual({ status: 200, body: 'served' });
  });
});

describe('static file paths', () => {
  const site = path.resolve('/srv/site');

  test.each([
    ['a NUL byte', '/index.html%00.png'],
    ['a raw NUL', '/index.html\u0000'],
    ['a control character', '/a%0Ab.html'],
    ['bytes that are not UTF-8', '/%ff%fe.html'],
    ['a malformed escape', '/%zz.html'],
    ['a traversal', '/../etc/passwd'],
    ['an encoded traversal', '/%2e%2e/%2e%2e/etc/passwd'],
    ['a backslash traversal', '/..%5c..%5cetc%5cpasswd'],
    ['the directory itself', '/%2e'],
  ])('%s names no file (404)', (_what, pathname) => {
    expect(staticFilePath(site, pathname)).toBeUndefined();
  });

  test('ordinary paths map into the directory', () => {
    expect(staticFilePath(site, '/')).toBe(path.join(site, 'index.html'));
    expect(staticFilePath(site, '/js/app%20main.js')).toBe(path.join(site, 'js/app main.js'));
    expect(staticFilePath(site, '//images/a.png')).toBe(path.join(site, 'images/a.png'));
  });
});

describe('rate limiter', () => {
  test('allows `limit` requests per client in the trailing window, then refuses while the client keeps sending', () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ limit: 3, windowSeconds: 10 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.allow('10.0.0.1'))).toEqual([true, true, true, false]);
    expect(limiter.allow('10.0.0.2')).toBe(true); // per client
    now += 5_000;
    // A client that keeps sending while refused: those requests count too, as in WAF.
    expect([1, 2, 3].map(() => limiter.allow('10.0.0.1'))).toEqual([false, false, false]);
    now += 5_500; // the first four have left the window, the three refused at +5 s have not
    expect(limiter.allow('10.0.0.1')).toBe(false);
    now += 5_000; // now they have: one request in the window
    expect(limiter.allow('10.0.0.1')).toBe(true);
  });

  test.each([
    [{ limit: 0, windowSeconds: 300 }, /limit must be a positive integer/],
    [{ limit: 10, windowSeconds: 0.5 }, /windowSeconds must be a positive integer/],
  ])('refuses a nonsensical rule %j', (rule, message) => {
    expect(() => createRateLimiter(rule)).toThrow(message);
  });
});
