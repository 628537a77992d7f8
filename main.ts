/**
 * The CDKTF app: every environment in `config/environments/` (or only those in `MYSFITS_ENVS=dev,prod`),
 * each as the stacks of `STACKS`, plus the state bootstrap stack. `npm run synth` writes `cdktf.out/`.
 */
import { App } from 'cdktf';
import { ConfigError, loadEnvironments } from './config/load';
import { buildApp } from './stacks/app';
import { PolicyViolationError } from './stacks/policy/secure-defaults-policy';

// cdktf records a stack trace for every token; with tsx's source maps on, mapping them dominated synth time.
process.setSourceMapsEnabled(false);

const only = (process.env.MYSFITS_ENVS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
try {
  // Validate all configuration before cdktf creates anything in the outdir.
  const environments = loadEnvironments(undefined, only);
  const app = new App();
  buildApp(app, environments);
  app.synth();
} catch (error) {
  // A configuration or policy error is the whole message: no stack trace needed to act on it.
  if (error instanceof ConfigError || error instanceof PolicyViolationError) {
    console.error((error as Error).message);
    process.exit(1);
  }
  throw error;
}
