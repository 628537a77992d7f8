/**
 * The mysfits catalogue: a DynamoDB table seeded by Terraform with `data/mysfits.json`, and the mysfits REST API
 * (`GET /mysfits`, `GET /mysfits/{mysfitId}`) on the traced mysfits-api Lambda, which may only read that table.
 */
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import type { Environment } from '../config/load';
import mysfits from '../data/mysfits.json';
import { ENV, OUTPUTS, TABLES } from '../system/definition';
import { allow } from './constructs/policy-statements';
import { SecureTable } from './constructs/secure-table';
import { TracedFunction } from './constructs/traced-function';
import { TracedRestApi } from './constructs/traced-rest-api';
import { EnvironmentStack } from './environment-stack';

export interface ApiStackProps {
  /** `https://<website host>`: the only origin CORS allows (a cross-stack reference to the website stack). */
  readonly allowedOrigin: string;
}

export class MysfitsStack extends EnvironmentStack {
  readonly table: SecureTable;
  readonly api: TracedRestApi;
  readonly apiFunction: TracedFunction;
  /** Invoke URL of the stage (`https://<id>.execute-api.<region>.amazonaws.com/<env>`). */
  readonly apiUrl: string;

  constructor(scope: Construct, env: Environment, props: ApiStackProps) {
    super(scope, 'mysfits', env);
    this.table = new SecureTable(this, 'table', { env: env.name, table: 'mysfits' });
    for (const mysfit of mysfits) {
      new DynamodbTableItem(this, `mysfit-${mysfit.Name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, {
        tableName: this.table.table.name,
        hashKey: TABLES.mysfits.hashKey.name,
        item: JSON.stringify(marshall(mysfit)),
      });
    }

    this.apiFunction = new TracedFunction(this, 'mysfits-api', {
      fn: 'mysfitsApi',
      environment: {
        [ENV.mysfitsTableName]: this.table.table.name,
        [ENV.allowedOrigin]: props.allowedOrigin,
      },
      statements: [allow(['dynamodb:GetItem', 'dynamodb:Scan'], [this.table.table.arn], 'ReadCatalogue')],
    });

    this.api = new TracedRestApi(this, 'api', {
      api: 'mysfits',
      description: 'Mythical Mysfits catalogue',
      allowedOrigin: props.allowedOrigin,
    });
    this.api.addLambdaRoutes({ mysfitsApi: this.apiFunction.function });
    this.apiUrl = this.api.deploy().url;

    new TerraformOutput(this, OUTPUTS.mysfitsApiEndpoint, { value: this.apiUrl });
  }
}
