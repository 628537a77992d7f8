// fauxqs keeps everything in memory ("Persistence across restarts" is among the limitations its README lists, at
// 1.9.2), so `npm start -- --persist` saves its stores to one JSON file and restores them at the next start:
// queues with their messages, topics with their subscriptions, buckets with their objects. Only what the sandbox
// uses is kept: standard queues (no FIFO groups or deduplication windows) and no unfinished multipart uploads.
//
// A message that was received but not yet deleted (in flight) is saved as visible again, as SQS makes it visible
// when its visibility timeout ends: it is received again after a restart, never lost. Receipt handles do not
// survive (they would be invalid after a restart on SQS too, once the message becomes visible again).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FAUXQS_STATE_FORMAT = 'mysfits-sandbox-fauxqs';
export const FAUXQS_STATE_VERSION = 1;

/** The account id fauxqs puts in every queue URL and ARN. */
const ACCOUNT_ID = '000000000000';

/** Everything fauxqs holds that the sandbox uses, as plain JSON. */
export function snapshotStores({ sqsStore, snsStore, s3Store }) {
  const queues = sqsStore.listQueues().map((queue) => {
    const { ready, delayed, inflight } = queue.inspectMessages();
    return {
      name: queue.name,
      arn: queue.arn,
      attributes: queue.attributes,
      tags: Object.fromEntries(queue.tags),
      // In flight first: they were received before the ones still waiting, as SQS would offer them again.
      messages: [...inflight.map((entry) => entry.message), ...ready, ...delayed],
    };
  });
  const topics = snsStore.listTopics().map((topic) => ({
    arn: topic.arn,
    name: topic.name,
    attributes: topic.attributes,
    tags: Object.fromEntries(topic.tags),
  }));
  const subscriptions = snsStore.listSubscriptions().map((s) => ({ ...s }));
  const buckets = s3Store.listBuckets().map(({ name }) => ({
    name,
    objects: s3Store.listObjects(name, { maxKeys: Number.MAX_SAFE_INTEGER }).objects.map((object) => ({
      key: object.key,
      body: object.body.toString('base64'),
      contentType: object.contentType,
      metadata: object.metadata,
      lastModified: object.lastModified.toISOString(),
    })),
  }));
  return { format: FAUXQS_STATE_FORMAT, version: FAUXQS_STATE_VERSION, queues, topics, subscriptions, buckets };
}

/** Throws a message naming the file when it is not a snapshot this code wrote. */
export function assertSnapshot(snapshot, file) {
  const ok =
    snapshot &&
    snapshot.format === FAUXQS_STATE_FORMAT &&
    snapshot.version === FAUXQS_STATE_VERSION &&
    ['queues', 'topics', 'subscriptions', 'buckets'].every((key) => Array.isArray(snapshot[key]));
  if (!ok) {
    throw new Error(
      `${file} is not a fauxqs state file of this sandbox (expected "format": "${FAUXQS_STATE_FORMAT}", ` +
        `"version": ${FAUXQS_STATE_VERSION})`,
    );
  }
}

/** Reads a snapshot; undefined when there is none yet. Throws a message naming the file when it is damaged. */
export function readSnapshot(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`${file}: cannot read the saved fauxqs state: ${err.message}`);
  }
  let snapshot;
  try {
    snapshot = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is damaged (not JSON: ${err.message}); remove it to start SNS, SQS and S3 empty`);
  }
  assertSnapshot(snapshot, file);
  return snapshot;
}

/**
 * Puts a snapshot back into empty stores. Queue URLs are rebuilt for this run's port, in the form fauxqs gives
 * them when no host is configured (the address clients reach it on): http://127.0.0.1:<port>/<account>/<name>.
 */
export function restoreStores({ sqsStore, snsStore, s3Store }, snapshot, port) {
  for (const saved of snapshot.queues) {
    const url = `http://127.0.0.1:${port}/${ACCOUNT_ID}/${saved.name}`;
    const queue = sqsStore.createQueue(saved.name, url, saved.arn, saved.attributes, saved.tags);
    for (const message of saved.messages) queue.enqueue(message);
  }
  for (const saved of snapshot.topics) {
    const region = saved.arn.split(':')[3];
    snsStore.createTopic(saved.name, saved.attributes, saved.tags, region);
  }
  for (const saved of snapshot.subscriptions) {
    // Under its saved ARN, so a client holding it can still unsubscribe.
    const topic = snsStore.getTopic(saved.topicArn);
    if (!topic) continue;
    snsStore.subscriptions.set(saved.arn, { ...saved });
    topic.subscriptionArns.push(saved.arn);
  }
  for (const saved of snapshot.buckets) {
    s3Store.createBucket(saved.name);
    for (const object of saved.objects) {
      const stored = s3Store.putObject(
        saved.name,
        object.key,
        Buffer.from(object.body, 'base64'),
        object.contentType,
        object.metadata,
      );
      stored.lastModified = new Date(object.lastModified);
    }
  }
}

/**
 * Writes the snapshot so that a crash mid-write leaves the previous file whole: a temporary file in the same
 * folder, flushed to disk, then renamed over the old one (a rename within one file system is atomic).
 */
export function writeSnapshot(file, snapshot) {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(snapshot));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}
