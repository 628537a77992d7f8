/**
 * The `PUT /clicks` request validator: the body is checked against CLICK_REQUEST_SCHEMA with a JSON Schema
 * draft-4 validator (the draft API Gateway models use) before anything reaches Firehose.
 */
import Ajv from 'ajv-draft-04';
import type { ErrorObject } from 'ajv-draft-04';
import { CLICK_REQUEST_SCHEMA } from '../../system/definition';

const ajv = new Ajv({ allErrors: true, strict: true });
const validateClick = ajv.compile(CLICK_REQUEST_SCHEMA);

function describe(error: ErrorObject): string {
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : '';
  switch (error.keyword) {
    case 'required':
      return `${(error.params as { missingProperty: string }).missingProperty}: is required`;
    case 'additionalProperties':
      return `${(error.params as { additionalProperty: string }).additionalProperty}: is not allowed`;
    default:
      return `${field || 'body'}: ${error.message ?? 'is invalid'}`;
  }
}

export type ClickValidation = { ok: true } | { ok: false; problems: string[] };

/** Validates the raw body as the deployed model does; the problems name each offending field. */
export function validateClickBody(body: Buffer): ClickValidation {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, problems: [`body: is not valid JSON (${(err as Error).message})`] };
  }
  if (validateClick(value)) return { ok: true };
  return { ok: false, problems: (validateClick.errors ?? []).map(describe) };
}
