// Runs fauxqs (SNS, SQS, S3 emulator) in its own process; prints one JSON line when it listens.
// Arguments: <port> [<state file>]. With a state file (`npm start -- --persist`), what it holds is restored before
// it listens, saved within a second of any change, and saved again when it stops (fauxqs-state.mjs).
// fauxqs is ESM-only, so it lives in a child process rather than inside jest's CommonJS module graph.
//
// fauxqs's own startFauxqs() listens on 0.0.0.0 (no option changes that), which would let anyone on the network
// read the queues; its exported buildApp() is the same Fastify app, listened to here on 127.0.0.1 only.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';
import { addSqsQueryProtocol } from './sqs-query-protocol.mjs';
import { readSnapshot, restoreStores, snapshotStores, writeSnapshot } from './fauxqs-state.mjs';

const port = Number(process.argv[2] ?? 0);
const stateFile = process.argv[3];
// The saved queue URLs are rebuilt for this port before fauxqs listens, so it must be known in advance.
if (stateFile && !port) throw new Error('fauxqs-server.mjs: a state file needs a port other than 0');
/** How long a change may wait before it is on disk: what killing fauxqs with SIGKILL can lose, at most. */
const SAVE_DELAY_MS = 1000;
// fauxqs's queue URLs default to http://sqs.<region>.localhost:<port>/..., a name that resolves only with wildcard
// DNS for *.localhost (absent on Debian, for one). Without a configured host, a queue's URL names the address the
// client reached fauxqs on (http://127.0.0.1:<port>/000000000000/<queue>), which resolves wherever the sandbox runs,
// so the AWS CLI and SDKs can use the URLs the sandbox hands out. The store class is not exported by name.
const dist = path.dirname(fileURLToPath(import.meta.resolve('fauxqs')));
const storeModule = (...parts) => import(pathToFileURL(path.join(dist, ...parts)).href);
const { SqsStore } = await storeModule('sqs', 'sqsStore.js');
const { SnsStore } = await storeModule('sns', 'snsStore.js');
const { S3Store } = await storeModule('s3', 's3Store.js');
const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
stores.sqsStore.host = undefined;
const app = buildApp({ logger: false, defaultRegion: process.env.AWS_REGION ?? 'us-east-1', stores });
// Older AWS CLIs and SDKs (Debian's AWS CLI 2.9) speak SQS's query protocol; fauxqs answers only its JSON one.
addSqsQueryProtocol(app);
const saver = stateFile ? keepState(stateFile) : undefined;
const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ ready: true, port: Number(new URL(address).port) })}\n`);
const stop = () =>
  app
    .close()
    .then(() => saver?.saveNow())
    .catch((err) => process.stderr.write(`fauxqs: ${err.message}\n`))
    .finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// stdin is a pipe from the process that started this one: end-of-file means it is gone (even by SIGKILL).
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

/** Restores the saved state, then saves it again after every change that writes (any method but GET and HEAD). */
function keepState(file) {
  const snapshot = readSnapshot(file);
  if (snapshot) restoreStores(stores, snapshot, port);
  let timer;
  const saveNow = () => {
    clearTimeout(timer);
    timer = undefined;
    writeSnapshot(file, snapshotStores(stores));
  };
  app.addHook('onResponse', (request, _reply, done) => {
    // ReceiveMessage is a POST too: it moves messages in flight, which the snapshot records as visible again.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      timer ??= setTimeout(() => {
        try {
          saveNow();
        } catch (err) {
          process.stderr.write(`fauxqs: cannot save its state to ${file}: ${err.message}\n`);
        }
      }, SAVE_DELAY_MS);
    }
    done();
  });
  return { saveNow };
}
