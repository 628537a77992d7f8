/**
 * Keeps the X-Ray daemon's traces across restarts (`npm start -- --persist`): every segment document stored is
 * appended to a JSON Lines file at once (a synchronous write into the operating system's cache, so killing the
 * sandbox, even with SIGKILL, loses none already stored), and the file is loaded into the store at start.
 *
 * The store's own limit holds: loading replays the documents through it (the oldest traces beyond MAX_TRACES drop
 * out, a repeated document id replaces the earlier one), and the file is then rewritten with what was kept when it
 * held more, so it does not grow from one run to the next without bound.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDatagram, type SegmentDocument } from './segment-document';
import type { TraceStore } from './trace-store';

/** What every daemon datagram starts with; each line is checked as the daemon checks a datagram. */
const DATAGRAM_HEADER = '{"format":"json","version":1}\n';

export interface TraceJournal {
  /** Documents loaded from the file at start. */
  readonly loaded: number;
  close(): void;
}

/** The documents in a journal, checked one by one; a damaged line is named with its file and number. */
export function readJournal(file: string): { documents: SegmentDocument[]; tornTail: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { documents: [], tornTail: false };
    throw new Error(`${file}: cannot read the kept traces: ${(err as Error).message}`);
  }
  const lines = text.split('\n');
  // The text after the last newline: empty, or a line cut short by a crash mid-write.
  const tail = lines.pop()!;
  const documents: SegmentDocument[] = [];
  lines.forEach((line, index) => {
    const parsed = parseDatagram(DATAGRAM_HEADER + line);
    if (!parsed.ok) {
      throw new Error(
        `${file}: line ${index + 1} is not a segment document (${parsed.reason}); remove the file to start with no traces`,
      );
    }
    documents.push(parsed.document);
  });
  return { documents, tornTail: tail !== '' };
}

function rewrite(file: string, documents: SegmentDocument[]): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, documents.map((d) => `${JSON.stringify(d)}\n`).join(''));
  fs.renameSync(temporary, file);
}

/** Loads the journal into the store, then appends every document the store gets from now on. */
export function openTraceJournal(store: TraceStore, file: string): TraceJournal {
  const { documents, tornTail } = readJournal(file);
  store.load(documents);
  const kept = store.segments();
  // A torn last line would glue the next document onto it: rewrite whole lines only (also when the limit dropped some).
  if (tornTail || kept.length < documents.length) rewrite(file, kept);
  const fd = fs.openSync(file, 'a');
  store.save((document) => fs.writeSync(fd, `${JSON.stringify(document)}\n`));
  let open = true;
  return {
    loaded: documents.length,
    close() {
      if (!open) return;
      open = false;
      store.save(undefined);
      fs.closeSync(fd);
    },
  };
}
