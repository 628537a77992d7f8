/** Where Firehose puts what it delivers in S3: the time prefix, the object name, the error prefix. */
import { randomUUID } from 'node:crypto';
import { CLICKS_DELIVERY } from '../../system/definition';

/** Zero-padded decimal digits. */
export const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY/MM/dd/HH/` in UTC, the prefix Firehose adds when the configured one has no timestamp expression. */
export function timePrefix(date: Date): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${pad(date.getUTCHours())}/`;
}

/** `<stream>-<version>-YYYY-MM-dd-HH-mm-ss-<random>`, Firehose's object name. */
export function objectName(stream: string, date: Date): string {
  const stamp = [
    date.getUTCFullYear(),
    pad(date.getUTCMonth() + 1),
    pad(date.getUTCDate()),
    pad(date.getUTCHours()),
    pad(date.getUTCMinutes()),
    pad(date.getUTCSeconds()),
  ].join('-');
  return `${stream}-1-${stamp}-${randomUUID()}`;
}

export function errorPrefix(errorOutputType: string): string {
  return CLICKS_DELIVERY.errorOutputPrefix.replace('!{firehose:error-output-type}', errorOutputType);
}
