// Runs fauxqs (SNS, SQS, S3 emulator) in its own process; prints one JSON line when it listens.
// fauxqs is ESM-only, so it lives in a child process rather than inside jest's CommonJS module graph.
//
// fauxqs's own startFauxqs() listens on 0.0.0.0 (no option changes that), which would let anyone on the network
// read the queues; its exported buildApp() is the same Fastify app, listened to here on 127.0.0.1 only.
import { buildApp } from 'fauxqs';

const port = Number(process.argv[2] ?? 0);
const app = buildApp({ logger: false, defaultRegion: process.env.AWS_REGION ?? 'us-east-1' });
const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ ready: true, port: Number(new URL(address).port) }) + '\n');
const stop = () => app.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// stdin is a pipe from the process that started this one: end-of-file means it is gone (even by SIGKILL).
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
