/**
 * The folder `npm start -- --persist [dir]` (or SANDBOX_PERSIST=dir) keeps the sandbox's state in across restarts:
 *
 *   sandbox-state.json   marks the folder as this sandbox's (format and version), written when it is first used
 *   dynamodb/            DynamoDB Local's -dbPath: shared-local-instance.db (SQLite), tables, items and streams
 *   fauxqs.json          SNS, SQS and S3 (fauxqs keeps nothing itself; see fauxqs-state.mjs)
 *   traces.jsonl         the X-Ray segment documents, one per line (sandbox/xray/trace-journal.ts)
 *   stream-position.json the stream poller's checkpoint per shard, as the event source mapping keeps it on AWS
 *   sandbox.pid          while a sandbox uses the folder: its process id (a second one would corrupt the files)
 *
 * Checked before anything starts, so a folder that is not one (a typo, another program's folder) or a damaged file
 * is named in the error at start rather than failing later.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `npm start -- --persist` without a folder: .sandbox/state in the repository (beside endpoints.json and logs/). */
export const DEFAULT_PERSIST_DIR = path.join('.sandbox', 'state');
export const defaultPersistDir = () => path.join(__dirname, '..', '..', DEFAULT_PERSIST_DIR);
const LOCK_FILE = 'sandbox.pid';
export const PERSIST_MARKER_FILE = 'sandbox-state.json';
const FORMAT = 'mysfits-sandbox-state';
const VERSION = 1;
/** The first 16 bytes of every SQLite 3 database file: https://www.sqlite.org/fileformat.html#the_database_header */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** The database file DynamoDB Local keeps with -sharedDb in its -dbPath folder. */
const DYNAMODB_FILE = 'shared-local-instance.db';
/** What fauxqs-state.mjs writes (FAUXQS_STATE_FORMAT, FAUXQS_STATE_VERSION there; an ES module jest cannot load). */
const FAUXQS_FORMAT = { format: 'mysfits-sandbox-fauxqs', version: 1 };

export interface PersistFolder {
  readonly dir: string;
  /** Lets another sandbox use the folder (removes sandbox.pid). */
  release(): void;
  /** DynamoDB Local's -dbPath. */
  readonly dynamodbDir: string;
  readonly fauxqsFile: string;
  readonly tracesFile: string;
  /** Where the stream poller resumes on this stream, and a callback that records each new checkpoint. */
  streamPosition(streamArn: string): {
    resumeAfter: Record<string, string>;
    onCheckpoint: (shardId: string, sequenceNumber: string) => void;
  };
}

/** The folder is not one this sandbox can keep its state in; the message names it and says what to do. */
export class PersistFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersistFolderError';
  }
}

interface StreamPositionFile {
  streamArn: string;
  shards: Record<string, string>;
}

function readStreamPosition(file: string): StreamPositionFile | undefined {
  if (!fs.existsSync(file)) return undefined;
  let position: StreamPositionFile;
  try {
    position = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PersistFolderError(
      `${file} is damaged (${(err as Error).message}); remove it to read the stream from its start`,
    );
  }
  const valid =
    typeof position?.streamArn === 'string' &&
    typeof position.shards === 'object' &&
    position.shards !== null &&
    Object.values(position.shards).every((sequenceNumber) => typeof sequenceNumber === 'string');
  if (!valid) throw new PersistFolderError(`${file} is not a stream position (expected { "streamArn", "shards" })`);
  return position;
}

/** Written whole each time (a temporary file renamed over the old one), so a crash leaves one or the other. */
function writeAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

function layout(dir: string): Omit<PersistFolder, 'release'> {
  const streamPositionFile = path.join(dir, 'stream-position.json');
  return {
    dir,
    dynamodbDir: path.join(dir, 'dynamodb'),
    fauxqsFile: path.join(dir, 'fauxqs.json'),
    tracesFile: path.join(dir, 'traces.jsonl'),
    streamPosition(streamArn) {
      const saved = readStreamPosition(streamPositionFile);
      // Another stream (the table was created afresh) starts from the mapping's starting position.
      const shards = saved?.streamArn === streamArn ? { ...saved.shards } : {};
      return {
        resumeAfter: { ...shards },
        onCheckpoint: (shardId, sequenceNumber) => {
          shards[shardId] = sequenceNumber;
          writeAtomically(streamPositionFile, JSON.stringify({ streamArn, shards }));
        },
      };
    },
  };
}

function readMarker(dir: string): void {
  const file = path.join(dir, PERSIST_MARKER_FILE);
  let marker: { format?: unknown; version?: unknown };
  try {
    marker = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PersistFolderError(
      `${file} is damaged (${(err as Error).message}); the folder cannot be used as kept state`,
    );
  }
  if (marker?.format !== FORMAT || marker.version !== VERSION) {
    throw new PersistFolderError(
      `${file} does not describe this sandbox's state (expected "format": "${FORMAT}", "version": ${VERSION})`,
    );
  }
}

function assertFauxqsState(file: string): void {
  if (!fs.existsSync(file)) return;
  let state: { format?: unknown; version?: unknown };
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PersistFolderError(
      `${file} is damaged (${(err as Error).message}); remove it to start SNS, SQS and S3 empty`,
    );
  }
  if (state?.format !== FAUXQS_FORMAT.format || state.version !== FAUXQS_FORMAT.version) {
    throw new PersistFolderError(
      `${file} is not a fauxqs state file of this sandbox (expected "format": "${FAUXQS_FORMAT.format}", "version": ${FAUXQS_FORMAT.version})`,
    );
  }
}

function assertDatabase(file: string): void {
  if (!fs.existsSync(file)) return;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) {
    throw new PersistFolderError(
      `${file} is not a DynamoDB Local database (not SQLite); remove it to start the tables afresh`,
    );
  }
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** One sandbox per folder: DynamoDB Local's database and fauxqs's file would be written by both. */
function lock(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new PersistFolderError(
          `${dir} is in use by another sandbox (process ${holder}): stop it, or choose another folder`,
        );
      }
      fs.rmSync(file, { force: true }); // left by a sandbox that was killed
    }
  }
}

/**
 * Creates the folder if needed and checks what is in it. A folder that exists, is not empty and has no marker is
 * refused: it is somebody else's, and DynamoDB Local would write its database into it.
 */
export function openPersistFolder(requested: string): PersistFolder {
  const dir = path.resolve(requested);
  const folder = layout(dir);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new PersistFolderError(`${dir} is a file, not a folder: choose a folder for the kept state`);
    if (code !== 'ENOENT')
      throw new PersistFolderError(`${dir}: cannot read the kept state folder: ${(err as Error).message}`);
    entries = [];
  }
  if (entries.length > 0 && !entries.includes(PERSIST_MARKER_FILE)) {
    throw new PersistFolderError(
      `${dir} is not a sandbox state folder (it holds files but no ${PERSIST_MARKER_FILE}): choose an empty or new folder`,
    );
  }
  try {
    if (entries.length > 0) {
      readMarker(dir);
      assertDatabase(path.join(folder.dynamodbDir, DYNAMODB_FILE));
      assertFauxqsState(folder.fauxqsFile);
      readStreamPosition(path.join(dir, 'stream-position.json'));
    } else {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, PERSIST_MARKER_FILE),
        `${JSON.stringify({ format: FORMAT, version: VERSION })}\n`,
      );
    }
    fs.mkdirSync(folder.dynamodbDir, { recursive: true });
    return { ...folder, release: lock(dir) };
  } catch (err) {
    if (err instanceof PersistFolderError) throw err;
    throw new PersistFolderError(`${dir}: ${(err as Error).message}`);
  }
}
