/**
 * The CDKTF stacks: one environment's stacks in deploy order, their names, the account-wide and bootstrap stacks,
 * and the ids of the outputs they write. The site's `config.json` uses the same endpoint keys, so the browser
 * site imports `OUTPUTS` from here.
 */

/**
 * Stacks of one environment, in deploy order (later ones read earlier ones' outputs). `website` hosts the site
 * (bucket, CloudFront): its domain is the origin the APIs allow, so it comes before them; `website-content`
 * uploads the files and `config.json` with the API endpoints, so it comes last.
 */
export const STACKS = ['tracing', 'website', 'mysfits', 'questions', 'clickstream', 'website-content'] as const;
export type StackKey = (typeof STACKS)[number];
export const stackName = (env: string, stack: StackKey) => `mysfits-${env}-${stack}`;
/**
 * Settings AWS keeps once per account and region (API Gateway's CloudWatch role, the X-Ray resource policy that
 * lets SNS send segments). Every environment of that account/region depends on it; destroying an environment
 * leaves it alone.
 */
export const accountStackName = (region: string) => `mysfits-account-${region}`;
/** What `cdktf deploy` of one environment names, in order: cdktf refuses a stack whose dependencies are not named. */
export const deployStackNames = (env: string, region: string) => [
  accountStackName(region),
  ...STACKS.map((stack) => stackName(env, stack)),
];
/** The stack that creates the Terraform state bucket itself, on local state (run once per account). */
export const BOOTSTRAP_STACK = 'mysfits-state-bootstrap';

/**
 * Terraform output ids. `cdktf output --outputs-file f.json` writes `{ "<stack>": { "<output id>": value } }`;
 * the website's `config.json` uses the same three endpoint keys.
 */
export const OUTPUTS = {
  mysfitsApiEndpoint: 'mysfitsApiEndpoint',
  questionsApiEndpoint: 'questionsApiEndpoint',
  streamingApiEndpoint: 'streamingApiEndpoint',
  websiteUrl: 'websiteUrl',
  region: 'region',
  clicksBucketName: 'clicksBucketName',
  questionsTableName: 'questionsTableName',
} as const;
