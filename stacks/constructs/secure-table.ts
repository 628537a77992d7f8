/**
 * A DynamoDB table from `TABLES`: on-demand, server-side encrypted, point-in-time recovery, its stream and TTL if any.
 */
import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { names, TABLES } from '../../system/definition';

export interface SecureTableProps {
  readonly env: string;
  readonly table: keyof typeof TABLES;
}

export class SecureTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: SecureTableProps) {
    super(scope, id);
    const definition = TABLES[props.table];
    this.table = new DynamodbTable(this, 'table', {
      name: names.table(props.env, props.table),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: definition.hashKey.name,
      attribute: [{ name: definition.hashKey.name, type: definition.hashKey.type }],
      // SSE with the AWS-managed key (alias/aws/dynamodb), visible in IAM and CloudTrail.
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      streamEnabled: definition.streamViewType !== undefined,
      streamViewType: definition.streamViewType,
      // Items carrying the attribute (epoch seconds) are deleted by DynamoDB after that time.
      ...(definition.ttlAttribute ? { ttl: { attributeName: definition.ttlAttribute, enabled: true } } : {}),
    });
  }
}
