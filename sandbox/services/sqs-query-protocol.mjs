// SQS's query protocol (form-encoded `Action=...` requests, XML answers) in front of fauxqs, which speaks only
// SQS's JSON protocol. AWS CLI and SDK releases from before SQS moved to JSON (Debian's AWS CLI 2.9 among them)
// send the query form; SQS answers both
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html).
// A request is SQS's when its SigV4 credential scope names the `sqs` service; SNS's form requests pass untouched.
// Each call is translated to the JSON request fauxqs already handles, so both protocols see the same queues.

const SQS_SCOPE = /Credential=[^/]+\/\d{8}\/[^/]+\/sqs\/aws4_request/;
const NUMBERS = new Set(['MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds', 'DelaySeconds', 'MaxResults']);
const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** `Attribute.1.Name=x&Attribute.1.Value=y`, `AttributeName.1=All`, ... -> the JSON protocol's members. */
export function queryToJson(form) {
  const json = {};
  const lists = {};
  const maps = {};
  for (const [key, value] of Object.entries(form)) {
    if (key === 'Action' || key === 'Version') continue;
    let m;
    if ((m = /^(AttributeName|MessageAttributeName|MessageSystemAttributeName|TagKey)\.(\d+)$/.exec(key))) {
      (lists[`${m[1]}s`] ??= [])[Number(m[2]) - 1] = value;
    } else if ((m = /^(Attribute|Tag|MessageAttribute)\.(\d+)\.(Name|Key|Value)(?:\.(\w+))?$/.exec(key))) {
      const entry = ((maps[m[1]] ??= {})[m[2]] ??= {});
      if (m[3] === 'Value' && m[4]) (entry.value ??= {})[m[4]] = value;
      else if (m[3] === 'Value') entry.value = value;
      else entry.name = value;
    } else {
      json[key] = NUMBERS.has(key) ? Number(value) : value;
    }
  }
  for (const [name, values] of Object.entries(lists)) json[name] = values.filter((v) => v !== undefined);
  const mapNames = { Attribute: 'Attributes', Tag: 'Tags', MessageAttribute: 'MessageAttributes' };
  for (const [kind, entries] of Object.entries(maps)) {
    json[mapNames[kind]] = Object.fromEntries(Object.values(entries).map((e) => [e.name, e.value]));
  }
  return json;
}

const escapeXml = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c],
  );

/** A JSON answer's members as the query protocol's XML: lists and maps are flattened, named in the singular. */
function toXml(key, value) {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => toXml(key.replace(/s$/, ''), item)).join('');
  if (typeof value === 'object') {
    if (/Attributes$|^Tags$/.test(key)) {
      const element = key.replace(/s$/, '');
      const keyName = key === 'Tags' ? 'Key' : 'Name';
      return Object.entries(value)
        .map(([name, v]) => `<${element}><${keyName}>${escapeXml(name)}</${keyName}>${toXml('Value', v)}</${element}>`)
        .join('');
    }
    return `<${key}>${Object.entries(value)
      .map(([k, v]) => toXml(k, v))
      .join('')}</${key}>`;
  }
  return `<${key}>${escapeXml(value)}</${key}>`;
}

export function jsonToXml(action, result, requestId) {
  const members = Object.entries(result ?? {})
    .map(([k, v]) => toXml(k, v))
    .join('');
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}"><${action}Result>${members}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function errorXml(code, message, senderFault, requestId) {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}"><Error><Type>${senderFault ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Answers SQS query-protocol calls on fauxqs's app (before its own handler, which would take them for SNS). */
export function addSqsQueryProtocol(app) {
  app.addHook('preHandler', async (request, reply) => {
    if (
      request.method !== 'POST' ||
      !String(request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
    )
      return;
    if (!SQS_SCOPE.test(String(request.headers.authorization ?? '')) || typeof request.body?.Action !== 'string')
      return;
    const action = request.body.Action;
    if (/Batch$/.test(action)) {
      // Their entries (`SendMessageBatchRequestEntry.1.Id`, ...) are not translated: refuse rather than half-do.
      const requestId = crypto.randomUUID();
      const message =
        `${action} is not available over SQS's query protocol in the sandbox; use a client that speaks ` +
        `SQS's JSON protocol (the AWS SDK for JavaScript v3, a recent AWS CLI)`;
      return reply
        .status(400)
        .header('content-type', 'text/xml')
        .send(errorXml('AWS.SimpleQueueService.UnsupportedOperation', message, true, requestId));
    }
    const answer = await app.inject({
      method: 'POST',
      url: '/',
      headers: {
        host: request.headers.host,
        authorization: request.headers.authorization,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${action}`,
      },
      payload: JSON.stringify(queryToJson(request.body)),
    });
    const requestId = crypto.randomUUID();
    const json = answer.body ? JSON.parse(answer.body) : {};
    reply.header('content-type', 'text/xml').header('x-amzn-requestid', requestId).status(answer.statusCode);
    if (answer.statusCode >= 400) {
      // The query protocol's error code is the legacy one fauxqs puts in x-amzn-query-error.
      const [legacy, fault] = String(answer.headers['x-amzn-query-error'] ?? '').split(';');
      const code =
        legacy ||
        String(json.__type ?? 'InternalError')
          .split('#')
          .pop();
      return reply.send(errorXml(code, json.message ?? '', fault !== 'Receiver', requestId));
    }
    return reply.send(jsonToXml(action, json, requestId));
  });
}
