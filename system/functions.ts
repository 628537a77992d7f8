/**
 * The Lambda functions: the runtime they deploy on, their entries and sizes, and the environment variables they
 * read (names and default values). The stacks deploy them, `build/bundle.ts` bundles them, the sandbox's
 * Lambda-like runtime runs them, and the handlers read their own service name and settings from here.
 *
 * Plain data like every module of system/: no cdktf or AWS SDK imports (`definition.ts` is the index).
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

function nodeMajorOf(runtime: string): number {
  return Number(/^nodejs(\d+)\.x$/.exec(runtime)![1]);
}

/**
 * The Node.js major of `LAMBDA_RUNTIME` (24): what the bundles target and the project runs on. Marked pure so
 * esbuild can leave the call out of a handler bundle that does not read it (a bare call is kept: it might have
 * side effects; https://esbuild.github.io/api/#ignore-annotations).
 */
export const LAMBDA_NODE_MAJOR = /* @__PURE__ */ nodeMajorOf(LAMBDA_RUNTIME);

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
