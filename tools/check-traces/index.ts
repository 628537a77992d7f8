/** The trace checker as a library: `runCheck(options) -> CheckReport`, and the report writers the CLI uses. */
export { runCheck, type CheckReport, type RunCheckOptions } from './check';
export { ConfigError, type CheckSettings } from './config';
export { formatReport } from './report/text';
export { toMermaid } from './report/mermaid';
export { toHtml } from './report/html';
export { writeReport } from './report/write';
