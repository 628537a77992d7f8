// Runs fauxqs (SNS, SQS, S3 emulator) in its own process; prints one JSON line when it listens.
// fauxqs is ESM-only, so it lives in a child process rather than inside jest's CommonJS module graph.
//
// fauxqs's own startFauxqs() listens on 0.0.0.0 (no option changes that), which would let anyone on the network
// read the queues; its exported buildApp() is the same Fastify app, listened to here on 127.0.0.1 only.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';
import { addSqsQueryProtocol } from './sqs-query-protocol.mjs';

const port = Number(process.argv[2] ?? 0);
// fauxqs's queue URLs default to http://sqs.<region>.localhost:<port>/..., a name that resolves only with wildcard
// DNS for *.localhost (absent on Debian, for one). Without a configured host, a queue's URL names the address the
// client reached fauxqs on (http://127.0.0.1:<port>/000000000000/<queue>), which resolves wherever the sandbox runs,
// so the AWS CLI and SDKs can use the URLs the sandbox hands out. The store class is not exported by name.
const dist = path.dirname(fileURLToPath(import.meta.resolve('fauxqs')));
const { SqsStore } = await import(pathToFileURL(path.join(dist, 'sqs', 'sqsStore.js')).href);
const sqsStore = new SqsStore();
sqsStore.host = undefined;
const app = buildApp({ logger: false, defaultRegion: process.env.AWS_REGION ?? 'us-east-1', stores: { sqsStore } });
// Older AWS CLIs and SDKs (Debian's AWS CLI 2.9) speak SQS's query protocol; fauxqs answers only its JSON one.
addSqsQueryProtocol(app);
const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ ready: true, port: Number(new URL(address).port) })}\n`);
const stop = () => app.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// stdin is a pipe from the process that started this one: end-of-file means it is gone (even by SIGKILL).
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
