// Runs fauxqs (SNS, SQS, S3 emulator) in its own process; prints one JSON line when it listens.
// fauxqs is ESM-only, so it lives in a child process rather than inside jest's CommonJS module graph.
import { startFauxqs } from 'fauxqs';

const port = Number(process.argv[2] ?? 0);
const server = await startFauxqs({ port, logger: false, defaultRegion: process.env.AWS_REGION ?? 'us-east-1' });
process.stdout.write(JSON.stringify({ ready: true, port: server.port }) + '\n');
const stop = () => server.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
