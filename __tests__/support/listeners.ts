/** Which local addresses a TCP port is listened on, read from /proc/net/tcp and /proc/net/tcp6 (Linux). */
import * as fs from 'node:fs';

const TCP_LISTEN = '0A';

function ipv4(hex: string): string {
  // /proc prints the address as a little-endian 32-bit number.
  return [hex.slice(6, 8), hex.slice(4, 6), hex.slice(2, 4), hex.slice(0, 2)].map((b) => parseInt(b, 16)).join('.');
}

function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const word = hex.slice(i, i + 8);
    const bytes = [word.slice(6, 8), word.slice(4, 6), word.slice(2, 4), word.slice(0, 2)].join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const text = words.map((w) => parseInt(w, 16).toString(16)).join(':');
  // The forms that matter here: ::, ::1 and IPv4-mapped ::ffff:a.b.c.d.
  if (/^0:0:0:0:0:ffff:/.test(text)) return `::ffff:${ipv4(hex.slice(24, 32))}`;
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}

/** Every address a listening TCP socket on `port` is bound to, e.g. ['127.0.0.1'] or ['::'] (all interfaces). */
export function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== TCP_LISTEN) continue;
      const [addressHex, portHex] = fields[1].split(':');
      if (parseInt(portHex, 16) === port) found.push(decode(addressHex));
    }
  }
  return found;
}

/** Loopback only: 127.0.0.0/8, ::1, or IPv4-mapped loopback. */
export const isLoopbackAddress = (address: string) => /^(127\.|::ffff:127\.|::1$)/.test(address);
