/** Writes the report files: `report.json`, `service-map.mmd`, `report.html` (self-contained). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckReport } from '../check';
import { toHtml } from './html';
import { toMermaid } from './mermaid';

export interface WrittenReport {
  readonly json: string;
  readonly mermaid: string;
  readonly html: string;
}

export function writeReport(report: CheckReport, outDir: string): WrittenReport {
  fs.mkdirSync(outDir, { recursive: true });
  const files = {
    json: path.join(outDir, 'report.json'),
    mermaid: path.join(outDir, 'service-map.mmd'),
    html: path.join(outDir, 'report.html'),
  };
  fs.writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(files.mermaid, toMermaid(report.serviceMap));
  fs.writeFileSync(files.html, toHtml(report));
  return files;
}
