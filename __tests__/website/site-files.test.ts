/** The built site: every picture the catalogue names exists, nothing loads from another host, the config is checked. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildWebsite, CACHE_CONTROL, hashedName, WEBSITE_OUT } from '../../build/website';
import { parseConfig, ConfigError } from '../../website/src/config';
import { hrefOf, parseRoute } from '../../website/src/routes';

const catalogue: { Name: string; ThumbImageUri: string; ProfileImageUri: string }[] = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../data/mysfits.json'), 'utf8'),
);

describe('website build', () => {
  const files = buildWebsite();
  const keys = new Set(files.map((f) => f.key));

  it('ships the page, its script, its styles and the logo', () => {
    for (const key of ['index.html', 'images/logo.svg']) expect(keys).toContain(key);
    expect([...keys].some((k) => k.startsWith('src/'))).toBe(false);
  });

  it('names the script and styles after their content, loads them by those names, and caches only them for long', () => {
    const script = files.find((f) => /^app\.[0-9a-f]{10}\.js$/.test(f.key));
    const styles = files.find((f) => /^styles\.[0-9a-f]{10}\.css$/.test(f.key));
    expect(script && styles).toBeTruthy();
    expect(keys.has('app.js') || keys.has('styles.css')).toBe(false);
    for (const file of [script!, styles!]) {
      expect(file.key).toBe(hashedName(file.key.replace(/\.[0-9a-f]{10}\./, '.'), fs.readFileSync(file.absolutePath)));
      expect(file.cacheControl).toBe(CACHE_CONTROL.hashed);
    }
    const html = fs.readFileSync(path.join(WEBSITE_OUT, 'index.html'), 'utf8');
    expect(html).toContain(`<script type="module" src="${script!.key}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${styles!.key}">`);
    expect(files.find((f) => f.key === 'index.html')!.cacheControl).toBe(CACHE_CONTROL.page);
    expect(files.find((f) => f.key === 'images/logo.svg')!.cacheControl).toBe(CACHE_CONTROL.other);
  });

  it('gives a changed file a new name', () => {
    expect(hashedName('app.js', Buffer.from('a'))).not.toBe(hashedName('app.js', Buffer.from('b')));
    expect(hashedName('app.js', Buffer.from('a'))).toMatch(/^app\.[0-9a-f]{10}\.js$/);
  });

  it('has a distinct picture for each of the 12 mysfits', () => {
    expect(catalogue).toHaveLength(12);
    const pictures = new Set<string>();
    for (const mysfit of catalogue) {
      for (const uri of [mysfit.ThumbImageUri, mysfit.ProfileImageUri]) expect(keys).toContain(uri);
      const svg = fs.readFileSync(path.join(WEBSITE_OUT, mysfit.ProfileImageUri), 'utf8');
      expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 200 200"/);
      pictures.add(svg);
    }
    expect(pictures.size).toBe(12);
  });

  it('loads nothing from another host (works offline)', () => {
    for (const file of files.filter((f) => /\.(html|css|svg|js)$/.test(f.key))) {
      const text = fs.readFileSync(file.absolutePath, 'utf8').replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '');
      expect({
        file: file.key,
        remote: text.match(/(?:src|href)=["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|@import/g),
      }).toEqual({
        file: file.key,
        remote: null,
      });
    }
  });

  it('labels every form field', () => {
    const html = fs.readFileSync(path.join(WEBSITE_OUT, 'index.html'), 'utf8');
    const ids = [...html.matchAll(/<(?:input|textarea|select)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    // `website` is the question form's honeypot: labelled too, though people never see it.
    expect(ids.sort()).toEqual(['email', 'filter', 'questionText', 'website']);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
  });
});

describe('config.json checks', () => {
  const good = {
    mysfitsApiEndpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/',
    questionsApiEndpoint: 'https://def.execute-api.eu-west-1.amazonaws.com/prod',
    streamingApiEndpoint: 'http://127.0.0.1:3000',
  };

  it('accepts the three endpoints and drops trailing slashes', () => {
    expect(parseConfig(good)).toEqual({
      mysfitsApiEndpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      questionsApiEndpoint: 'https://def.execute-api.eu-west-1.amazonaws.com/prod',
      streamingApiEndpoint: 'http://127.0.0.1:3000',
    });
  });

  it.each([
    [[], /JSON object/],
    [{ ...good, questionsApiEndpoint: undefined }, /no "questionsApiEndpoint"/],
    [{ ...good, streamingApiEndpoint: 'not a url' }, /"streamingApiEndpoint" is not a URL/],
    [{ ...good, mysfitsApiEndpoint: 'ftp://example.com' }, /"mysfitsApiEndpoint" must be an http\(s\) URL/],
  ])('refuses %j, naming the setting', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(message);
  });
});

describe('routes', () => {
  it.each([
    ['', { view: 'gallery' }],
    ['#/', { view: 'gallery' }],
    ['#/filter/GoodEvil/Evil', { view: 'gallery', filter: { filter: 'GoodEvil', value: 'Evil' } }],
    ['#/filter/LawChaos/Neutral', { view: 'gallery', filter: { filter: 'LawChaos', value: 'Neutral' } }],
    ['#/filter/LawChaos/Evil', { view: 'gallery' }],
    ['#/filter/toString/x', { view: 'gallery' }],
    ['#/mysfits/abc-123', { view: 'profile', mysfitId: 'abc-123' }],
    ['#/contact', { view: 'contact' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('round-trips every route through its link', () => {
    for (const hash of ['#/', '#/filter/GoodEvil/Good', '#/mysfits/a%2Fb', '#/contact'])
      expect(hrefOf(parseRoute(hash))).toBe(hash);
  });
});
