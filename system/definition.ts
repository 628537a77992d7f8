/**
 * The system's wiring, declared once.
 *
 * The CDKTF stacks (`stacks/`), the local sandbox (`sandbox/`) and the trace checker (`tools/check-traces/`)
 * all read this module, so what runs on a laptop cannot drift from what is deployed: the same handler entry
 * points, the same environment variable names, the same routes, the same event-source settings and the same
 * expected trace graph.
 *
 * Keep it free of cdktf and AWS SDK imports: it is plain data, imported by stacks, sandbox, tools and tests.
 */

/** Environment variable names the handlers read. The stacks set them; the sandbox sets them to local values. */
export const ENV = {
  questionsTableName: 'QUESTIONS_TABLE_NAME',
  questionsTopicArn: 'QUESTIONS_TOPIC_ARN',
  mysfitsTableName: 'MYSFITS_TABLE_NAME',
  mysfitsApiUrl: 'MYSFITS_API_URL',
  mysfitsLookupTimeoutMs: 'MYSFITS_LOOKUP_TIMEOUT_MS',
  allowedOrigin: 'ALLOWED_ORIGIN',
  /** The seed's troubleshooting exercise: share (0..1) of post-question requests that hang then fail. Off = 0. */
  hangingExceptionRate: 'HANGING_EXCEPTION_RATE',
  /** How long a "hanging" request waits in the `hangingException` subsegment before failing. */
  hangingExceptionDelayMs: 'HANGING_EXCEPTION_DELAY_MS',
  /** Powertools-style service name, used as the logger's `service` key. */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** Days a question is kept before DynamoDB's TTL deletes it (personal data: kept no longer than needed). */
  questionRetentionDays: 'QUESTION_RETENTION_DAYS',
} as const;

/**
 * The Lambda runtime every function deploys on, declared once: the stacks deploy it, esbuild targets its Node.js
 * major (`build/bundle.ts`), the sandbox's Lambda-like runtime reports it (`AWS_EXECUTION_ENV`), and `engines`
 * in package.json asks for the same major. `nodejs24.x` runs on Amazon Linux 2023 and is supported until
 * 2028-04-30; `nodejs22.x` is deprecated on 2027-04-30 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 * Node.js 24 on Lambda accepts only async (promise-returning) handlers, no callback-style ones
 * (https://github.com/aws/aws-cdk/releases/tag/v2.259.0, "Customer-code compatibility").
 */
export const LAMBDA_RUNTIME = 'nodejs24.x';

/** The Node.js major of `LAMBDA_RUNTIME` (24): what the bundles target and the project runs on. */
export const LAMBDA_NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)![1]);

export type FunctionKey = 'postQuestion' | 'processQuestionsStream' | 'processClicks' | 'mysfitsApi';

export interface FunctionDefinition {
  /** Suffix of the deployed function name (`mysfits-<env>-<name>`) and the X-Ray service name's suffix. */
  readonly name: string;
  /** Handler source, relative to the repository root; bundled by `build/bundle.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** Environment variables (names from ENV) this function is given. */
  readonly environment: readonly (typeof ENV)[keyof typeof ENV][];
}

export const FUNCTIONS: Record<FunctionKey, FunctionDefinition> = {
  postQuestion: {
    name: 'post-question',
    entry: 'handlers/post-question/index.ts',
    description: 'POST /questions: validates a customer question and stores it in the questions table',
    memorySize: 256,
    timeoutSeconds: 10,
    environment: [
      ENV.questionsTableName,
      ENV.allowedOrigin,
      ENV.hangingExceptionRate,
      ENV.hangingExceptionDelayMs,
      ENV.serviceName,
      ENV.questionRetentionDays,
    ],
  },
  processQuestionsStream: {
    name: 'process-questions-stream',
    entry: 'handlers/process-questions-stream/index.ts',
    description: 'Questions table stream: e-mails each new question to the staff through SNS',
    memorySize: 256,
    timeoutSeconds: 30,
    // The table: each question is marked as notified there, so a retried batch does not e-mail it again.
    environment: [ENV.questionsTopicArn, ENV.questionsTableName, ENV.serviceName],
  },
  processClicks: {
    name: 'process-clicks',
    entry: 'handlers/process-clicks/index.ts',
    description: 'Firehose transformation: enriches each click with the mysfit it names',
    memorySize: 256,
    // Firehose waits at most 5 minutes for a transformation; a click batch needs far less.
    timeoutSeconds: 60,
    environment: [ENV.mysfitsApiUrl, ENV.mysfitsLookupTimeoutMs, ENV.serviceName],
  },
  mysfitsApi: {
    name: 'mysfits-api',
    entry: 'handlers/mysfits-api/index.ts',
    description: 'GET /mysfits, GET /mysfits/{mysfitId}: the catalogue',
    memorySize: 256,
    timeoutSeconds: 10,
    environment: [ENV.mysfitsTableName, ENV.allowedOrigin, ENV.serviceName],
  },
};

/** Default values the stacks and the sandbox both use unless configuration says otherwise. */
export const DEFAULTS = {
  mysfitsLookupTimeoutMs: 2000,
  hangingExceptionRate: 0,
  hangingExceptionDelayMs: 5000,
  logRetentionDays: 30,
  /** Longer than the on-failure queue keeps a message (14 days), so a failed question can still be replayed. */
  questionRetentionDays: 90,
} as const;

export type ApiKey = 'questions' | 'clicks' | 'mysfits';

export interface LambdaRoute {
  readonly api: ApiKey;
  readonly method: 'GET' | 'POST' | 'PUT';
  /** API Gateway resource path; `{name}` is a path parameter. */
  readonly path: string;
  readonly function: FunctionKey;
}

/** Routes served by Lambda proxy integrations. */
export const LAMBDA_ROUTES: readonly LambdaRoute[] = [
  { api: 'questions', method: 'POST', path: '/questions', function: 'postQuestion' },
  { api: 'mysfits', method: 'GET', path: '/mysfits', function: 'mysfitsApi' },
  { api: 'mysfits', method: 'GET', path: '/mysfits/{mysfitId}', function: 'mysfitsApi' },
];

/** `PUT /clicks`: an API Gateway AWS service integration to Firehose PutRecord (no Lambda in front). */
export const CLICKS_ROUTE = { api: 'clicks', method: 'PUT', path: '/clicks' } as const;

/**
 * The click request model. API Gateway validates the body against it (JSON Schema draft 4) before the
 * Firehose integration runs, and the sandbox validates with the same schema, so a malformed click gets 400
 * at the edge in both places.
 */
export const CLICK_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Click',
  type: 'object',
  required: ['userId', 'mysfitId'],
  additionalProperties: false,
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
    mysfitId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
  },
} as const;

/** Tables: key schema and streams, used by the stacks and by the sandbox's CreateTable. */
export const TABLES = {
  questions: {
    name: 'questions',
    hashKey: { name: 'QuestionId', type: 'S' },
    streamViewType: 'NEW_IMAGE',
    /** DynamoDB TTL attribute (epoch seconds): the question's deletion time. */
    ttlAttribute: 'ExpiresAt',
  },
  mysfits: {
    name: 'mysfits',
    hashKey: { name: 'MysfitId', type: 'S' },
    streamViewType: undefined,
    ttlAttribute: undefined,
  },
} as const;

/** The questions-stream -> process-questions-stream event source mapping (deployed and emulated alike). */
export const QUESTIONS_STREAM_MAPPING = {
  startingPosition: 'TRIM_HORIZON',
  batchSize: 10,
  // No batching window: questions are few, and staff should get them at once (Lambda polls the shard 4x/s).
  maximumBatchingWindowInSeconds: 0,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 3,
  maximumRecordAgeInSeconds: 3600,
  functionResponseTypes: ['ReportBatchItemFailures'],
  /**
   * Only new questions invoke the function: marking a question as notified (MODIFY) and TTL deletions (REMOVE)
   * are discarded by Lambda before invoking. https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
   */
  filterPatterns: ['{"eventName":["INSERT"]}'],
} as const;

/** The clicks delivery stream (deployed and emulated alike). */
export const CLICKS_DELIVERY = {
  prefix: 'firehose/',
  errorOutputPrefix: 'firehose-errors/!{firehose:error-output-type}/',
  bufferingIntervalSeconds: 60,
  bufferingSizeMb: 5,
  /**
   * The Lambda processor buffers with Firehose's defaults, 1 MB / 60 s
   * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). The stack does not set them:
   * the AWS provider does not store processor parameters equal to their defaults, so setting them would make
   * every plan show a change.
   */
  processorBufferSizeMb: 1,
  processorBufferIntervalSeconds: 60,
  /** Newline between records, so the objects in S3 are JSON Lines. */
  recordDelimiter: '\\n',
} as const;

/** Question rules shared by the API handler and the website's form. */
export const QUESTION_RULES = {
  maxQuestionLength: 2000,
  maxBodyBytes: 16 * 1024,
  maxEmailLength: 254,
  /** A form field people never see; a value in it means a bot, answered as a success but never stored. */
  honeypotField: 'website',
} as const;

/**
 * `Idempotency-Key` request header of POST /questions: a retry with the same key returns the first answer and
 * stores nothing new; the same key with a different question is refused (422). An opaque value the client
 * chooses per question: a UUID.
 */
export const IDEMPOTENCY_KEY = {
  header: 'Idempotency-Key',
  pattern: /^[A-Za-z0-9_-]{16,128}$/,
  description: '16 to 128 characters of A-Z, a-z, 0-9, "_" and "-" (a UUID fits)',
} as const;

/** Annotations that make traces searchable and join the questions pipeline's two traces. */
export const ANNOTATIONS = {
  questionId: 'QuestionId',
  mysfitId: 'MysfitId',
} as const;

/** Name of the subsegment the troubleshooting exercise hangs in. */
export const HANGING_EXCEPTION_SUBSEGMENT = 'hangingException';

/**
 * The expected trace graph: what `npm run check-traces` verifies after a deploy (and against the sandbox).
 *
 * A node is what X-Ray's service map shows: a service name plus a type (the segment's `origin`). Names are
 * templates the checker resolves per environment: `{stage:<api>}` -> the stage segment's name
 * (`names.stageSegment`), `{fn:<FunctionKey>}` -> the deployed function name, `{host:<api>}` -> the host of that
 * API's endpoint (a `remote` node inferred from an HTTP subsegment). Several names = any one of them.
 */
export interface ExpectedNode {
  readonly name: string | readonly string[];
  /** Segment origin (`AWS::Lambda`, `AWS::Lambda::Function`, ...). Omitted for inferred nodes (AWS names their type). */
  readonly type?: string;
}

/** The requests the checker sends; each flow checks the traces of one of them. */
export type TraceProbe = 'question' | 'click' | 'invalid-question';

export interface ExpectedFlow {
  readonly id: 'question' | 'question-stream' | 'click' | 'click-enrichment' | 'invalid-question';
  readonly description: string;
  readonly probe: TraceProbe;
  /**
   * How the flow's traces are found (GetTraceSummaries within the probes' time window): by an annotation whose
   * value the probe yields (the QuestionId of the 201 answer, the clicked MysfitId), or by a service node.
   */
  readonly findBy: { readonly annotation: string } | { readonly service: string };
  /** The node a trace of this flow starts at: picks this flow's traces among those found. */
  readonly entry: ExpectedNode;
  /** Parent -> child service-graph edges that must appear in the flow's trace(s). */
  readonly edges: readonly (readonly [ExpectedNode, ExpectedNode])[];
  /** `ok`: no error and no fault on any node. `error`: the entry node records an error (4xx) and nothing a fault. */
  readonly expect: 'ok' | 'error';
  /** A node slower than its budget (segment end - start) is reported as slow. Generous: cold starts included. */
  readonly latencyBudgetsMs?: readonly { readonly node: ExpectedNode; readonly maxMs: number }[];
}

/** The service-graph nodes the flows name. */
export const TRACE_NODES = {
  questionsStage: { name: '{stage:questions}', type: 'AWS::ApiGateway::Stage' },
  clicksStage: { name: '{stage:clicks}', type: 'AWS::ApiGateway::Stage' },
  postQuestion: { name: '{fn:postQuestion}', type: 'AWS::Lambda' },
  postQuestionFunction: { name: '{fn:postQuestion}', type: 'AWS::Lambda::Function' },
  processQuestionsStream: { name: '{fn:processQuestionsStream}', type: 'AWS::Lambda' },
  processQuestionsStreamFunction: { name: '{fn:processQuestionsStream}', type: 'AWS::Lambda::Function' },
  processClicks: { name: '{fn:processClicks}', type: 'AWS::Lambda' },
  processClicksFunction: { name: '{fn:processClicks}', type: 'AWS::Lambda::Function' },
  dynamoDb: { name: 'DynamoDB' },
  sns: { name: 'SNS' },
  firehose: { name: 'Firehose' },
  /** The mysfits API as process-clicks sees it: a remote host, or its traced stage when the call carries the trace. */
  mysfitsApi: { name: ['{host:mysfits}', '{stage:mysfits}'] },
} as const satisfies Record<string, ExpectedNode>;

export const EXPECTED_TRACE_FLOWS: readonly ExpectedFlow[] = [
  {
    id: 'question',
    description: 'POST /questions is traced from the stage through post-question to DynamoDB',
    probe: 'question',
    findBy: { annotation: ANNOTATIONS.questionId },
    entry: TRACE_NODES.questionsStage,
    edges: [
      [TRACE_NODES.questionsStage, TRACE_NODES.postQuestion],
      [TRACE_NODES.postQuestion, TRACE_NODES.postQuestionFunction],
      [TRACE_NODES.postQuestionFunction, TRACE_NODES.dynamoDb],
    ],
    expect: 'ok',
    latencyBudgetsMs: [
      { node: TRACE_NODES.postQuestionFunction, maxMs: 3000 },
      { node: TRACE_NODES.dynamoDb, maxMs: 1000 },
    ],
  },
  {
    id: 'question-stream',
    description: 'the stream trace, joined by the same QuestionId, goes through process-questions-stream to SNS',
    probe: 'question',
    findBy: { annotation: ANNOTATIONS.questionId },
    entry: TRACE_NODES.processQuestionsStream,
    edges: [
      [TRACE_NODES.processQuestionsStream, TRACE_NODES.processQuestionsStreamFunction],
      [TRACE_NODES.processQuestionsStreamFunction, TRACE_NODES.sns],
    ],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.processQuestionsStreamFunction, maxMs: 5000 }],
  },
  {
    id: 'click',
    description: 'PUT /clicks is traced from the stage to Firehose',
    probe: 'click',
    findBy: { service: '{stage:clicks}' },
    entry: TRACE_NODES.clicksStage,
    edges: [[TRACE_NODES.clicksStage, TRACE_NODES.firehose]],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.clicksStage, maxMs: 3000 }],
  },
  {
    id: 'click-enrichment',
    description: 'process-clicks calls the mysfits API for the clicked mysfit',
    probe: 'click',
    findBy: { annotation: ANNOTATIONS.mysfitId },
    entry: TRACE_NODES.processClicks,
    edges: [
      [TRACE_NODES.processClicks, TRACE_NODES.processClicksFunction],
      [TRACE_NODES.processClicksFunction, TRACE_NODES.mysfitsApi],
    ],
    expect: 'ok',
    latencyBudgetsMs: [{ node: TRACE_NODES.processClicksFunction, maxMs: 10000 }],
  },
  {
    id: 'invalid-question',
    description: 'an invalid question is recorded as an error (4xx), not a fault',
    probe: 'invalid-question',
    findBy: { service: '{stage:questions}' },
    entry: TRACE_NODES.questionsStage,
    edges: [[TRACE_NODES.questionsStage, TRACE_NODES.postQuestion]],
    expect: 'error',
  },
];

/** Names as deployed, per environment: one place so stacks, sandbox and checker agree. */
export const names = {
  prefix: (env: string) => `mysfits-${env}`,
  function: (env: string, key: FunctionKey) => `mysfits-${env}-${FUNCTIONS[key].name}`,
  table: (env: string, table: keyof typeof TABLES) => `mysfits-${env}-${TABLES[table].name}`,
  api: (env: string, api: ApiKey) => `mysfits-${env}-${api}-api`,
  /** X-Ray names a REST API stage's segment `<api name>/<stage name>`. */
  stageSegment: (env: string, api: ApiKey, stage = env) => `mysfits-${env}-${api}-api/${stage}`,
  topic: (env: string) => `mysfits-${env}-questions`,
  /** The questions stream mapping's on-failure queue. */
  streamFailureQueue: (env: string) => `mysfits-${env}-questions-stream-failures`,
  deliveryStream: (env: string) => `mysfits-${env}-clicks`,
} as const;

/** Default local ports of the sandbox (`npm start`): the website, and each API on its own. Tests use free ports. */
export const SANDBOX_PORTS = {
  website: 3000,
  apis: { questions: 3001, mysfits: 3002, clicks: 3003 },
  xray: 2000,
  dynamodb: 8000,
  fauxqs: 4566,
} as const;

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

/**
 * A mysfit as the mysfits API returns it (`GET /mysfits` -> `{ mysfits: MysfitView[] }`,
 * `GET /mysfits/{mysfitId}` -> `MysfitView`). The table stores the PascalCase attributes of `data/mysfits.json`.
 */
export interface MysfitView {
  mysfitId: string;
  name: string;
  species: string;
  age: number;
  goodEvil: 'Good' | 'Neutral' | 'Evil';
  lawChaos: 'Lawful' | 'Neutral' | 'Chaotic';
  description: string;
  thumbImageUri: string;
  profileImageUri: string;
  likes: number;
  adopted: boolean;
}

/** `GET /mysfits?filter=<one of these>&value=<one of its values>`. */
export const MYSFIT_FILTERS = {
  GoodEvil: ['Good', 'Neutral', 'Evil'],
  LawChaos: ['Lawful', 'Neutral', 'Chaotic'],
} as const;

/**
 * The answer to a client over `questionsRateLimit` on POST /questions: 429 with this JSON body (AWS WAF's custom
 * response in the questions stack; the sandbox can answer the same).
 */
export const RATE_LIMITED_RESPONSE = {
  statusCode: 429,
  body: { message: 'Too many requests from this address: try again in a few minutes' },
} as const;

/** Methods the Lambda-served routes answer (and OPTIONS, the preflight): what their answers' CORS headers list. */
export const LAMBDA_ROUTE_METHODS = ['OPTIONS', ...new Set(LAMBDA_ROUTES.map((route) => route.method))].join(',');

/** Request headers the APIs' CORS preflights allow: the stacks' OPTIONS mock integrations and the sandbox alike. */
export const CORS_ALLOW_HEADERS =
  'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amzn-Trace-Id,Idempotency-Key';
