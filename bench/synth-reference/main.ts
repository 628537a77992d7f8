/**
 * Reference for `bench/synth.ts`: a one-table CDKTF app that imports `@cdktf/provider-aws` from the package
 * root, as most examples do. Loading the root pulls in every AWS resource class, which is what the project's
 * deep imports avoid.
 */
import { App, S3Backend, TerraformStack } from 'cdktf';
import { dynamodbTable, provider } from '@cdktf/provider-aws';

const app = new App();
const stack = new TerraformStack(app, 'reference-one-table');
new provider.AwsProvider(stack, 'aws', { region: 'eu-west-1' });
new S3Backend(stack, { bucket: 'reference-state', key: 'reference.tfstate', region: 'eu-west-1', encrypt: true });
new dynamodbTable.DynamodbTable(stack, 'table', {
  name: 'reference',
  billingMode: 'PAY_PER_REQUEST',
  hashKey: 'Id',
  attribute: [{ name: 'Id', type: 'S' }],
  serverSideEncryption: { enabled: true },
});
app.synth();
