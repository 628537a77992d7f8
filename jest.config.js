/** Jest: one suite for the stacks, handlers, sandbox, website and trace checker. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  reporters: ['default', '<rootDir>/__tests__/support/summary-reporter.js'],
  setupFiles: ['<rootDir>/__tests__/support/jest-environment.ts'],
  // Local services (DynamoDB Local, fauxqs, the sandbox) and synth need more than jest's 5 s default.
  testTimeout: 120000,
  maxWorkers: 2,
};
