/**
 * The example configuration synthesizes (tests and `npm run synth` use it) but must never deploy: its state
 * bucket is not one a user can create, and an address at a reserved domain never confirms the SNS e-mail
 * subscription. `placeholderProblems` names each such setting and what to put there; `config/cdktf-guard.ts`
 * runs it before `cdktf deploy`/`cdktf diff` (`npm run deploy`, `npm run diff`).
 */
import type { Environment } from './load';

/** The state bucket name the shipped configuration uses. */
export const EXAMPLE_STATE_BUCKET = 'mysfits-terraform-state-example';

/**
 * Domains reserved for documentation and testing, which never receive mail or a certificate
 * (RFC 2606, https://www.rfc-editor.org/rfc/rfc2606; RFC 6761, https://www.rfc-editor.org/rfc/rfc6761).
 */
const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i;

export function isReservedDomain(host: string): boolean {
  return RESERVED_DOMAIN.test(host);
}

/** One message per placeholder setting of the environment: `config/<env>: <setting>: <what to put there>`. */
export function placeholderProblems({ name, config }: Environment): string[] {
  const problems: string[] = [];
  const say = (setting: string, message: string) => problems.push(`config/${name}: ${setting}: ${message}`);
  if (config.state.bucket === EXAMPLE_STATE_BUCKET) {
    say(
      'state.bucket',
      `"${EXAMPLE_STATE_BUCKET}" is a placeholder: put a globally unique S3 bucket name for your Terraform state ` +
        `(the mysfits-state-bootstrap stack creates it)`,
    );
  }
  const emailDomain = config.notificationEmail.split('@').pop() ?? '';
  if (isReservedDomain(emailDomain)) {
    say(
      'notificationEmail',
      `"${config.notificationEmail}" is at a reserved domain that never receives mail: put the address that should ` +
        `receive the questions (it must confirm the SNS subscription)`,
    );
  }
  const { domainName } = config.website;
  if (domainName && isReservedDomain(domainName)) {
    say(
      'website.domainName',
      `"${domainName}" is a reserved domain: put a domain you own (with website.certificateArn), or remove it to ` +
        `serve the site from its cloudfront.net name`,
    );
  }
  return problems;
}
