/** A DynamoDB Streams record (as the SDK decodes it) in the shape Lambda delivers it to a function. */
import type { AttributeValue, _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';

/** The SDK decodes binary attributes to bytes; the Lambda event carries them as base64, like the wire format. */
// biome-ignore lint/suspicious/noExplicitAny: the Lambda event's attribute type is not the SDK's; built here.
function toEventAttribute(value: AttributeValue): any {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toEventImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toEventAttribute) };
  return value;
}

// biome-ignore lint/suspicious/noExplicitAny: as above, the event's image is built from the SDK's attributes.
function toEventImage(image: Record<string, AttributeValue> | undefined): any {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toEventAttribute(v)]));
}

export function toLambdaRecord(record: StreamsRecord, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : undefined,
      Keys: toEventImage(d.Keys),
      NewImage: toEventImage(d.NewImage),
      OldImage: toEventImage(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
    eventSourceARN: streamArn,
  };
}
