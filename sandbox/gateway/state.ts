/**
 * What the gateway's rooms (the APIs, the website, the sandbox pages) share: the backends the sandbox attaches
 * once its functions run, and the origins known once every server listens.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiKey, FunctionKey } from '../../system/definition';
import type { MailboxMessage } from '../mailbox/mailbox';

export interface FunctionOutcome {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

export interface GatewayBackends {
  invokeFunction(key: FunctionKey, event: APIGatewayProxyEvent, traceHeader: string): Promise<FunctionOutcome>;
  /** Firehose PutRecord on the clicks delivery stream. */
  putClickRecord(data: Buffer): { recordId: string };
  readMailbox(): Promise<MailboxMessage[]>;
}

export interface GatewayState {
  /** Undefined until the sandbox attaches them: API calls and sandbox pages answer 503 meanwhile. */
  backends?: GatewayBackends;
  /** The website's origin, once it listens. */
  url: string;
  /** The one origin the APIs allow (CORS), once known. */
  allowedOrigin: string;
  /** Each API's origin, once it listens. */
  apis: Record<ApiKey, string>;
  /** A failure no client is told about (the sandbox logs it). */
  report(err: unknown): void;
}
